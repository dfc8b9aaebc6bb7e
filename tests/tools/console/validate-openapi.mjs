// Validates an OpenAPI document against the official 3.x schemas (@seriousme/openapi-schema-validator,
// pinned in ../package-lock.json). Usage: node validate-openapi.mjs <file>. Prints the result as JSON;
// exit code 1 when invalid.
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

const document = JSON.parse(await readFile(process.argv[2], "utf8"));
const result = await new Validator().validate(document);
console.log(JSON.stringify(result));
process.exit(result.valid ? 0 : 1);
