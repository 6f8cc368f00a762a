// Builds the web app into a folder the gateway serves (WEB_ROOT): one
// minified bundle of the code and one of the styles under assets/ with
// content hashes in their names (so they can be cached for a year),
// index.html pointing at them, the favicon. Nothing is fetched at run time.
//
//   node web/build.mjs <out dir>
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) throw new Error("usage: node web/build.mjs <out dir>");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src/main.js"), style: join(here, "src/app.css") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const names = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  const entry = meta.entryPoint && basename(meta.entryPoint);
  if (entry === "main.js") names["app.js"] = `/${relative(out, file)}`;
  if (entry === "app.css") names["app.css"] = `/${relative(out, file)}`;
}
const page = readFileSync(join(here, "index.html"), "utf8").replace(
  /\{\{(app\.(?:js|css))\}\}/g, (_, name) => names[name]);
writeFileSync(join(out, "index.html"), page);
copyFileSync(join(here, "favicon.svg"), join(out, "favicon.svg"));
console.log(`web app: ${Object.values(names).join(", ")} in ${out}`);
