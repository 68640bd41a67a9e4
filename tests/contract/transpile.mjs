// Compiles TypeScript files to JavaScript beside them with the TypeScript compiler's transpiler, after
// `tsc --strict --noEmit` has type-checked them (a second full tsc run would only repeat that check). The
// output is an ES module (package.json: "type": "module").
// Usage: node transpile.mjs tsconfig.json FILE.ts...
import { readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";

const [config, ...files] = process.argv.slice(2);
const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(config, ts.sys.readFile).config, ts.sys, ".");
for (const file of files) {
  const out = ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions: { ...parsed.options, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler }, fileName: file, reportDiagnostics: true });
  if (out.diagnostics?.length) {
    for (const d of out.diagnostics) console.error(`${file}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    process.exit(1);
  }
  writeFileSync(file.replace(/\.ts$/, ".js"), out.outputText);
}
