"""A formula as plain Unicode text, for the search index and the table of contents.

``plain(mathml)`` reads the MathML that KaTeX writes next to its HTML and returns text a reader can
scan, e.g. ``q(x_t \\mid x_0)`` -> ``q(xₜ ∣ x₀)``, ``\\hat p_\\theta`` -> ``p̂_θ``,
``\\frac{a}{b+1}`` -> ``a/(b + 1)``. Sub- and superscripts use Unicode's small letters where every
character has one, and ``_``/``^`` otherwise. It is a reading aid, not a round trip.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET

_SUB = dict(zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ",
                "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ"))
_SUP = dict(zip("0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθφχ⊤′∗*",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᵠᵡᵀ′**"))
#: Operators written with a space on each side.
_SPACED = set("=<>≤≥≈≠≡∼∝∈∉⊂⊆→←↦⇒⇔∣≔+−×⋅±∓∘⊙") | {"≪", "≫", ":="}
_ACCENTS = {"^": "\u0302", "ˆ": "\u0302", "ˉ": "\u0304", "¯": "\u0304", "‾": "\u0305", "~": "\u0303",
            "˜": "\u0303", "→": "\u20d7", "˙": "\u0307", "¨": "\u0308"}
_SCRIPT = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "𝒜ℬ𝒞𝒟ℰℱ𝒢ℋℐ𝒥𝒦ℒℳ𝒩𝒪𝒫𝒬ℛ𝒮𝒯𝒰𝒱𝒲𝒳𝒴𝒵"))
_DOUBLE = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ1", "𝔸𝔹ℂ𝔻𝔼𝔽𝔾ℍ𝕀𝕁𝕂𝕃𝕄ℕ𝕆ℙℚℝ𝕊𝕋𝕌𝕍𝕎𝕏𝕐ℤ𝟙"))
_SKIP = {"annotation", "annotation-xml", "mphantom"}


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """Small Unicode letters for a short script whose every character has one; else ``_x`` / ``_(xy)``."""
    text = text.strip()
    chars = text.replace(" ", "")
    if chars and (len(chars) <= 6 or not chars.isalpha()) and all(c in table for c in chars):
        return "".join(table[c] for c in chars)
    letters = re.sub(r"[\u0300-\u036f\u20d0-\u20ff]", "", text)  # a base letter with an accent is one letter
    return mark + (text if len(letters) == 1 or text.isalnum() else f"({text})")


def _wrap(text: str) -> str:
    return text if len(text) <= 1 or re.fullmatch(r"[\w.]+|\(.*\)|√?\w+", text) else f"({text})"


def _text(el: ET.Element) -> str:
    tag = _tag(el)
    if tag in _SKIP:
        return ""
    kids = list(el)
    if tag == "semantics":
        return _text(kids[0]) if kids else ""
    if tag in ("mi", "mn", "mtext", "ms"):
        text = el.text or ""
        variant = el.get("mathvariant")
        if variant == "script" or variant == "bold-script":
            text = "".join(_SCRIPT.get(c, c) for c in text)
        elif variant == "double-struck":
            text = "".join(_DOUBLE.get(c, c) for c in text)
        if tag == "mi" and len(text) > 1 and text.isalpha():  # log, exp, tr: a word, spaced from what follows
            return " " + text + "\u2061"
        return text
    if tag == "mo":
        text = (el.text or "").strip()
        if text == "\u2061":  # function application: KaTeX already marked the word
            return ""
        if el.get("separator") == "true":
            return text + " "
        return f" {text} " if text in _SPACED else text
    if tag == "mspace":
        return " "
    if tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover"):
        base = _text(kids[0]).strip() if kids else ""
        if tag == "mover" and el.get("accent") == "true" and len(kids) == 2:
            accent = (kids[1].text or "").strip()
            if accent in _ACCENTS and len(base) == 1:
                return base + _ACCENTS[accent]
            return f"{base}{accent}"
        sub = sup = ""
        if tag in ("msub", "munder"):
            sub = _text(kids[1])
        elif tag in ("msup", "mover"):
            sup = _text(kids[1])
        else:
            sub, sup = _text(kids[1]), _text(kids[2])
        out = base.replace("\u2061", "").strip()
        if sub.strip():
            out += _script(" ".join(sub.split()), _SUB, "_")
        if sup.strip():
            out += _script(" ".join(sup.split()), _SUP, "^")
        return out + ("\u2061" if base.endswith("\u2061") or base in ("∑", "∏", "∫", "∮") else "")
    if tag == "mfrac":
        num, den = (_text(k).strip() for k in kids[:2])
        if el.get("linethickness") in ("0px", "0"):
            return f"C({num}, {den})"
        return f"{_wrap(num)}/{_wrap(den)}"
    if tag == "msqrt":
        return "√" + _wrap("".join(_text(k) for k in kids).strip())
    if tag == "mroot":
        return f"{_text(kids[1]).strip()}√{_wrap(_text(kids[0]).strip())}"
    if tag == "mtable":
        return "; ".join(" ".join("".join(_text(c) for c in row).split()) for row in kids)
    return "".join(_text(k) for k in kids)


def plain(mathml: str) -> str:
    """Unicode text of one ``<math>`` element (KaTeX's MathML output)."""
    start = mathml.find("<math")
    if start < 0:
        return ""
    end = mathml.rindex("</math>") + len("</math>")
    root = ET.fromstring(mathml[start:end])
    text = _text(root)
    text = re.sub(r"\u2061\s*(?=[\w(√𝒜-𝒵ℬ-ℳ∑∏∫])", " ", text).replace("\u2061", "")
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u2009", " ")).strip()
    text = re.sub(r"([(\[{]) ", r"\1", text)
    text = re.sub(r" ([),\]])", r"\1", text)
    return unicodedata.normalize("NFC", text)  # a letter and its accent as one character where Unicode has one
