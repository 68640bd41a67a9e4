// Validates OpenAPI documents against the OpenAPI specification's JSON Schemas
// (@seriousme/openapi-schema-validator), and every schema in them against JSON Schema 2020-12 (ajv).
// Usage: node validate.mjs DOCUMENT.json...
import { Validator } from "@seriousme/openapi-schema-validator";
import { Contract, loadDocument } from "./contract.mjs";

let failures = 0;
for (const file of process.argv.slice(2)) {
  const doc = loadDocument(file);
  const validator = new Validator();
  const result = await validator.validate(doc);
  if (!result.valid) {
    failures++;
    console.log(`${file}: not a valid OpenAPI ${validator.version ?? doc.openapi} document:`);
    for (const e of [result.errors ?? []].flat().slice(0, 30)) console.log("  " + JSON.stringify(e));
    continue;
  }
  if (!String(validator.version).startsWith("3.1")) {
    failures++;
    console.log(`${file}: OpenAPI ${validator.version}, not 3.1`);
    continue;
  }
  // The validator above checks schema objects only loosely: compile every schema of the document with ajv's
  // 2020-12 dialect (the dialect of OpenAPI 3.1), which also resolves each $ref.
  const contract = new Contract(doc, file);
  let schemas = 0;
  const visit = (node, pointer) => {
    if (!node || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      const p = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (key === "schema" && value && typeof value === "object" && !pointer.includes("/schema/")) {
        schemas++;
        try {
          contract.validator(p);
        } catch (e) {
          failures++;
          console.log(`${file}: the schema at ${p} does not compile: ${e.message}`);
        }
      } else {
        visit(value, p);
      }
    }
  };
  visit(doc.paths, "/paths");
  for (const name of Object.keys(doc.components?.schemas ?? {})) {
    schemas++;
    try {
      contract.validator(`/components/schemas/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    } catch (e) {
      failures++;
      console.log(`${file}: components/schemas/${name} does not compile: ${e.message}`);
    }
  }
  const ops = contract.operations().length;
  console.log(`${file}: valid OpenAPI ${validator.version} (${ops} operations, ${schemas} schemas compiled)`);
}
process.exit(failures ? 1 : 0);
