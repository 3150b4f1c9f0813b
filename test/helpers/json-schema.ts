/**
 * A strict validator for the JSON-schema subset that @foxglove/schemas' jsonschema definitions
 * use (no JSON-schema library is installed): type (string or list), properties, required,
 * items, minItems, maxItems, minimum, maximum, oneOf, const, contentEncoding: base64. Stricter
 * than JSON schema on purpose: a property the schema does not declare is an error (a typo in a
 * field name would otherwise pass and Foxglove would silently ignore it), an integer must be an
 * integer, and an unknown keyword in the schema throws, so the check cannot silently weaken.
 */
const ANNOTATIONS = new Set(['title', 'description', '$comment']);
const KEYWORDS = new Set(['type', 'properties', 'required', 'items', 'minItems', 'maxItems', 'minimum', 'maximum', 'oneOf', 'const', 'contentEncoding']);

type Schema = Record<string, unknown>;

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: throw new Error(`schema: unknown type '${t}'`);
  }
}

/** Errors of `value` against `schema` (empty when valid), each naming the path. */
export function validate(schema: Schema, value: unknown, at = '$'): string[] {
  for (const k of Object.keys(schema)) if (!ANNOTATIONS.has(k) && !KEYWORDS.has(k)) throw new Error(`schema at ${at}: unsupported keyword '${k}'`);
  const errors: string[] = [];
  if ('const' in schema && value !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (schema.oneOf) {
    const matches = (schema.oneOf as Schema[]).filter((s) => validate(s, value, at).length === 0).length;
    if (matches !== 1) errors.push(`${at}: matches ${matches} of the oneOf alternatives (value ${JSON.stringify(value)})`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type as string[] : [schema.type as string];
    if (!types.some((t) => typeOk(t, value))) { errors.push(`${at}: expected ${types.join(' | ')}, got ${JSON.stringify(value)?.slice(0, 80)}`); return errors; }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string' && schema.contentEncoding !== undefined) {
    if (schema.contentEncoding !== 'base64') throw new Error(`schema at ${at}: unsupported contentEncoding '${schema.contentEncoding}'`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) errors.push(`${at}: not base64`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${at}: ${value.length} items < minItems ${schema.minItems}`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) errors.push(`${at}: ${value.length} items > maxItems ${schema.maxItems}`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(schema.items as Schema, v, `${at}[${i}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && (schema.properties || schema.required)) {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in value)) errors.push(`${at}: missing required '${r}'`);
    for (const [k, v] of Object.entries(value)) {
      if (!(k in props)) errors.push(`${at}: property '${k}' is not in the schema`);
      else errors.push(...validate(props[k], v, `${at}.${k}`));
    }
  }
  return errors;
}
