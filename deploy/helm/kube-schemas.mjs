// Validates rendered Kubernetes objects against the API's schemas, from npm's
// kubernetes-models 4.x: its compiled validators check types, enums and
// required fields; a strict pass of ours then rejects every field the API
// does not know (which the API server would drop or, with
// --validate=strict, refuse), reading the field lists from the models'
// TypeScript declarations.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

// "apps/v1", "Deployment" -> the kubernetes-models module of that kind.
function modelModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/v1/${kind}`;
}

// The first interface of a declaration file: its property types by name,
// and where its imported types are declared.
const declarations = new Map();
function readDeclaration(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = readFileSync(file, 'utf8');
  const imports = new Map();
  for (const match of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    imports.set(match[1], match[2]);
  }
  let properties = null;
  const body = text.match(/^export interface \w+( extends TypeMeta)? \{\n([\s\S]*?)^\}/m);
  if (body) {
    // A kind's TypeMeta: apiVersion and kind.
    properties = new Map(body[1] ? [['apiVersion', 'string'], ['kind', 'string']] : []);
    for (const match of body[2].matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
      properties.set(match[1], match[2].replace(/;$/, ''));
    }
  }
  const declaration = { file, imports, properties };
  declarations.set(file, declaration);
  return declaration;
}

function declarationFile(specifier, fromDir) {
  const resolved = specifier.startsWith('.')
    ? path.resolve(fromDir, specifier)
    : require.resolve(specifier).replace(/\.js$/, '');
  return `${resolved.replace(/\.d\.ts$/, '')}.d.ts`;
}

// Every field of `value` the declared type does not have, as paths.
function unknownFields(value, declaration, at, found) {
  if (!declaration.properties || value === null || typeof value !== 'object') return;
  for (const [name, field] of Object.entries(value)) {
    const type = declaration.properties.get(name);
    const where = `${at}.${name}`;
    if (type === undefined) {
      found.push(where);
      continue;
    }
    const element = type.match(/^Array<(\w+)>$/);
    const typeName = element ? element[1] : type;
    const source = declaration.imports.get(typeName);
    if (!source) continue;  // a scalar, a map, or a type alias
    const inner = readDeclaration(declarationFile(source, path.dirname(declaration.file)));
    if (element) {
      (field || []).forEach((item, i) => unknownFields(item, inner, `${where}[${i}]`, found));
    } else {
      unknownFields(field, inner, where, found);
    }
  }
}

// Problems with one object: the schema's, then unknown fields.
export function validateObject(object) {
  const name = `${object.kind}/${object.metadata?.name}`;
  let module;
  try {
    module = modelModule(object.apiVersion, object.kind);
    require.resolve(module);
  } catch {
    return [`${name}: ${object.apiVersion} ${object.kind} is not a known Kubernetes API`];
  }
  const Model = require(module)[object.kind];
  const problems = [];
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push(`${name}: ${error.message}`);
  }
  const found = [];
  unknownFields(object, readDeclaration(declarationFile(module, '.')), '', found);
  for (const field of found) problems.push(`${name}: unknown field ${field.slice(1)}`);
  return problems;
}
