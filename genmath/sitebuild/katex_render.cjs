// Render a batch of TeX strings with KaTeX. Called by genmath/sitebuild/katex.py:
//   node katex_render.cjs /path/to/node_modules/katex  < {"items": [{"tex", "display"}], "macros": {}}
// Writes [{"html": ...} | {"error": ...}] in the same order. Invalid TeX is an error, never red text.
"use strict";
const katex = require(process.argv[2]);
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const { items, macros } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const out = items.map(({ tex, display }) => {
    try {
      return {
        html: katex.renderToString(tex, {
          displayMode: display,
          throwOnError: true,
          output: "htmlAndMathml", // MathML for screen readers, HTML for layout
          strict: "ignore",
          trust: false,
          macros: { ...macros },
        }),
      };
    } catch (e) {
      return { error: String(e.message || e) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
