/**
 * The pure logic behind <mcp-schema-form> and <mcp-tool-result>: no Lit, no DOM, so it is unit-tested
 * under plain Node.
 *
 * - normalizeSchema() turns a JSON Schema (an MCP tool's inputSchema, or an elicitation's
 *   requestedSchema) into field descriptors. Whatever a form cannot express becomes a `json` field,
 *   edited as JSON text, so every value stays possible to send.
 * - defaultFormValue / formValueFromJson / formValueToJson convert between the form's state and
 *   the JSON value. Empty optional fields are left out of the value.
 * - validateJson() checks a value against a schema (the subset of JSON Schema 2020-12 that tools
 *   use). Its messages name the path and the rule, never the value, which may be a secret.
 *
 * Schemas come from servers and are untrusted: every lookup by a server-chosen key is an own-property
 * lookup, texts are capped, recursion is bounded, and a schema that cannot be understood never throws.
 */
import { isRecord as isObject } from '../../src/protocol';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type PathSegment = string | number;

export interface Issue {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

export const LIMITS = {
  /** Characters of a title (label) or an option label. */
  title: 200,
  /** Characters of a description (help text). */
  description: 2000,
  /** Levels of nested objects and arrays shown as a form; deeper values are edited as JSON. */
  depth: 8,
  /** Fields in one form; a bigger schema is edited as JSON as a whole. */
  fields: 500,
  /** $ref hops followed for one field. */
  refs: 16,
  /** Options of one enum; a longer list is edited as JSON. */
  options: 1000,
  /** Characters of a `pattern` that is compiled at all. */
  pattern: 2000,
  /** Issues reported by one validation. */
  issues: 100,
  /** Characters of the schema shown next to a JSON field. */
  schemaText: 4000,
} as const;

// ---------------------------------------------------------------------------------------------
// Small helpers for untrusted JSON.

type Obj = Record<string, unknown>;

export { isObject };

/** An own property, so that `constructor` or `__proto__` in a schema never reaches Object.prototype. */
export function own(o: unknown, key: string): unknown {
  return isObject(o) && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function hasOwn(o: unknown, key: string): boolean {
  return isObject(o) && Object.prototype.hasOwnProperty.call(o, key);
}

/** Sets a data property even for a key like `__proto__`. */
function setOwn(o: Obj, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

export function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function capText(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? cap(v, max) : undefined;
}

export function isJson(v: unknown, depth = 0): v is Json {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (depth > 200) return false;
  if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
  if (isObject(v)) return Object.values(v).every((x) => isJson(x, depth + 1));
  return false;
}

export function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > 200 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i], depth + 1));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => hasOwn(b, k) && deepEqual((a as Obj)[k], (b as Obj)[k], depth + 1));
}

/** `name`, `address.city`, `tags[2]`, `["odd key"]`; the whole value is `value`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(cap(seg, LIMITS.title))}]`;
  }
  return out === '' ? 'value' : out;
}

export function formatIssue(issue: Issue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** A short JSON rendering of a schema-supplied value for a message (never a user's value). */
function show(v: unknown): string {
  let text: string;
  try {
    text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  } catch {
    text = String(v);
  }
  return cap(text, 60);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions from schemas. A pattern that does not compile is "not checkable", never a throw.

const patternCache = new Map<string, RegExp | null>();

export function compilePattern(pattern: unknown): RegExp | null {
  if (typeof pattern !== 'string' || pattern.length > LIMITS.pattern) return null;
  const cached = patternCache.get(pattern);
  if (cached !== undefined) return cached;
  let re: RegExp | null = null;
  for (const flags of ['u', '']) {
    try {
      re = new RegExp(pattern, flags);
      break;
    } catch {
      // try the next flags, then give up: the pattern is not checked
    }
  }
  if (patternCache.size > 500) patternCache.clear();
  patternCache.set(pattern, re);
  return re;
}

// ---------------------------------------------------------------------------------------------
// Formats.

export type KnownFormat = 'email' | 'uri' | 'date' | 'date-time';

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

export function checkFormat(format: string, v: string): boolean {
  switch (format) {
    case 'email':
      return /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)*$/.test(v);
    case 'uri': {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(v)) return false;
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    }
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      return m !== null && validDate(+m[1], +m[2], +m[3]);
    }
    case 'date-time': {
      const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/.exec(v);
      if (!m || !validDate(+m[1], +m[2], +m[3])) return false;
      const [h, min, s] = [+m[4], +m[5], +m[6]];
      const offsetOk = m[7] === undefined || (+m[7] <= 23 && +m[8] <= 59);
      return h <= 23 && min <= 59 && s <= 60 && offsetOk;
    }
    default:
      return true; // unknown formats are annotations only
  }
}

const FORMAT_MESSAGES: Record<KnownFormat, string> = {
  email: 'must be an email address',
  uri: 'must be a URI (like https://example.com/page)',
  date: 'must be a date (YYYY-MM-DD)',
  'date-time': 'must be a date and time (like 2025-01-31T13:45:00Z)',
};

function isKnownFormat(f: unknown): f is KnownFormat {
  return f === 'email' || f === 'uri' || f === 'date' || f === 'date-time';
}

// ---------------------------------------------------------------------------------------------
// $ref: local JSON pointers only ("#", "#/$defs/Name", "#/definitions/Name", any "#/a/b").

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (Array.isArray(node) && /^\d+$/.test(seg)) node = node[Number(seg)];
    else if (isObject(node) && hasOwn(node, seg)) node = node[seg];
    else return undefined;
  }
  return node;
}

interface Resolved {
  schema: unknown;
  /** The refs followed, for cycle detection further down. */
  refs: readonly string[];
  /** Why the schema could not be resolved into something a form can show. */
  problem?: string;
}

/**
 * Follows `$ref` (keeping sibling keywords, which win) and folds `allOf` into one schema, so the
 * form sees plain keywords. Validation does not use this: it applies `$ref` and `allOf` exactly.
 */
function resolveForForm(schema: unknown, root: unknown, refs: readonly string[]): Resolved {
  let s = schema;
  const seen = [...refs];
  for (let hops = 0; isObject(s) && typeof own(s, '$ref') === 'string'; hops++) {
    const ref = own(s, '$ref') as string;
    if (!ref.startsWith('#')) return { schema: s, refs: seen, problem: 'it refers to another document' };
    if (seen.includes(ref)) return { schema: s, refs: seen, problem: 'it is recursive' };
    if (hops >= LIMITS.refs || seen.length >= LIMITS.refs) return { schema: s, refs: seen, problem: 'it is nested too deeply' };
    const target = resolvePointer(root, ref);
    if (target === undefined) return { schema: s, refs: seen, problem: 'its $ref cannot be found' };
    seen.push(ref);
    const siblings = Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref'));
    s = target === true ? { ...siblings } : isObject(target) ? { ...target, ...siblings } : target;
  }
  const allOf = own(s, 'allOf');
  if (isObject(s) && Array.isArray(allOf)) {
    const merged: Obj = Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'allOf'));
    for (const part of allOf) {
      const r = resolveForForm(part, root, seen);
      if (r.problem) return { schema: s, refs: r.refs, problem: r.problem };
      if (r.schema === true) continue;
      if (!isObject(r.schema)) return { schema: s, refs: seen, problem: 'it combines schemas the form cannot merge' };
      for (const [k, v] of Object.entries(r.schema)) {
        if (k === 'properties' && isObject(v)) setOwn(merged, k, { ...(isObject(merged.properties) ? merged.properties : {}), ...v });
        else if (k === 'required' && Array.isArray(v)) setOwn(merged, k, [...(Array.isArray(merged.required) ? (merged.required as unknown[]) : []), ...(v as unknown[])]);
        else if (!hasOwn(merged, k)) setOwn(merged, k, v);
      }
      seen.push(...r.refs.filter((x) => !seen.includes(x)));
    }
    return { schema: merged, refs: seen };
  }
  return { schema: s, refs: seen };
}

// ---------------------------------------------------------------------------------------------
// Field descriptors.

export interface EnumOption {
  readonly value: Json;
  readonly label: string;
}

interface FieldBase {
  /** The property name ('' for the root, or for array items). */
  readonly key: string;
  /** The title, else the property name; capped. */
  readonly label: string;
  readonly description?: string;
  readonly required: boolean;
  /** `type: [X, "null"]` or `anyOf: [X, {type: "null"}]`: an empty required field is sent as null. */
  readonly nullable: boolean;
  readonly default?: Json;
}

export interface StringField extends FieldBase {
  readonly kind: 'string';
  readonly format?: KnownFormat | 'password';
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  /** False when the schema's pattern does not compile: it is then not checked. */
  readonly patternCheckable: boolean;
  readonly multiline: boolean;
  readonly placeholder?: string;
}

export interface NumberField extends FieldBase {
  readonly kind: 'number';
  readonly integer: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly placeholder?: string;
}

export interface BooleanField extends FieldBase {
  readonly kind: 'boolean';
}

export interface EnumField extends FieldBase {
  readonly kind: 'enum';
  readonly options: readonly EnumOption[];
}

export interface MultiEnumField extends FieldBase {
  readonly kind: 'multi-enum';
  readonly options: readonly EnumOption[];
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface ArrayField extends FieldBase {
  readonly kind: 'array';
  readonly items: Field;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface ObjectField extends FieldBase {
  readonly kind: 'object';
  readonly fields: readonly Field[];
}

export interface JsonField extends FieldBase {
  readonly kind: 'json';
  /** Why this value is edited as JSON, as a phrase: "it is a choice between several shapes". */
  readonly reason: string;
  /** The (capped) schema, shown to help write the JSON. */
  readonly schemaText?: string;
}

export type Field = StringField | NumberField | BooleanField | EnumField | MultiEnumField | ArrayField | ObjectField | JsonField;

interface Ctx {
  root: unknown;
  budget: number;
}

class TooLarge extends Error {}

/** Turns a schema into a field tree. The root is normally an object field; it never throws. */
export function normalizeSchema(schema: unknown): Field {
  const ctx: Ctx = { root: schema, budget: LIMITS.fields };
  try {
    return normalize(schema, ctx, { key: '', required: true, depth: 0, refs: [] });
  } catch (e) {
    if (!(e instanceof TooLarge)) throw e;
    return jsonField(schema, { key: '', label: 'Value', required: true, nullable: false }, 'the schema is too large for a form');
  }
}

interface At {
  key: string;
  /** The label when there is neither a title nor a key (array items take their list's label). */
  label?: string;
  required: boolean;
  depth: number;
  refs: readonly string[];
}

function schemaText(schema: unknown): string | undefined {
  try {
    const text = JSON.stringify(schema, null, 2);
    return text === undefined ? undefined : cap(text, LIMITS.schemaText);
  } catch {
    return undefined;
  }
}

function jsonField(schema: unknown, base: FieldBase, reason: string): JsonField {
  return { ...base, kind: 'json', reason, schemaText: schemaText(schema) };
}

function optionLabel(v: Json): string {
  return cap(typeof v === 'string' ? v : JSON.stringify(v), LIMITS.title);
}

/** `oneOf`/`anyOf` whose every branch is `{const, title?}`: a titled enum. */
function constOptions(list: unknown): EnumOption[] | undefined {
  if (!Array.isArray(list) || list.length === 0 || list.length > LIMITS.options) return undefined;
  const options: EnumOption[] = [];
  for (const branch of list) {
    if (!hasOwn(branch, 'const')) return undefined;
    const value = own(branch, 'const');
    if (!isJson(value) || (typeof value === 'object' && value !== null)) return undefined;
    options.push({ value, label: capText(own(branch, 'title'), LIMITS.title) ?? optionLabel(value) });
  }
  return options;
}

/** Plain `enum`, with legacy `enumNames` as labels; primitives only. */
function enumOptions(s: Obj): EnumOption[] | undefined {
  const values = own(s, 'enum');
  if (!Array.isArray(values) || values.length === 0 || values.length > LIMITS.options) return undefined;
  if (!values.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))) return undefined;
  const names = own(s, 'enumNames');
  const labels = Array.isArray(names) && names.length === values.length && names.every((n) => typeof n === 'string') ? names : undefined;
  return (values as Json[]).map((value, i) => ({ value, label: labels ? cap(labels[i], LIMITS.title) : optionLabel(value) }));
}

const isNullSchema = (s: unknown) => own(s, 'type') === 'null' || (hasOwn(s, 'const') && own(s, 'const') === null);

function normalize(schemaIn: unknown, ctx: Ctx, at: At): Field {
  if (--ctx.budget < 0) throw new TooLarge();
  const r = resolveForForm(schemaIn, ctx.root, at.refs);
  const s0 = r.schema;
  const fallbackLabel = at.key === '' ? (at.label ?? 'Value') : at.key;
  const base0: FieldBase = {
    key: at.key,
    label: capText(own(s0, 'title'), LIMITS.title) ?? cap(fallbackLabel, LIMITS.title),
    description: capText(own(s0, 'description'), LIMITS.description),
    required: at.required,
    nullable: false,
    ...(hasOwn(s0, 'default') && isJson(own(s0, 'default')) ? { default: own(s0, 'default') as Json } : {}),
  };
  if (r.problem) return jsonField(s0, base0, r.problem);
  if (at.depth > LIMITS.depth) return jsonField(s0, base0, 'it is nested too deeply for a form');
  if (
    s0 === true ||
    (isObject(s0) && Object.keys(s0).every((k) => ['title', 'description', 'default', 'examples', '$schema', '$id', '$comment', '$defs', 'definitions'].includes(k)))
  ) {
    return jsonField(s0, base0, 'it can be any JSON value');
  }
  if (!isObject(s0)) return jsonField(s0, base0, 'the schema allows no value');

  let s: Obj = s0;
  let nullable = false;
  // anyOf/oneOf: [X, {type: "null"}] is a nullable X (how many generators write Optional[X]).
  for (const comb of ['anyOf', 'oneOf']) {
    const list = own(s, comb);
    if (Array.isArray(list) && list.length === 2 && list.some(isNullSchema) && !list.every(isNullSchema)) {
      const other: unknown = list.find((b) => !isNullSchema(b));
      const inner = resolveForForm(other, ctx.root, r.refs);
      if (inner.problem || !isObject(inner.schema)) return jsonField(s, base0, inner.problem ?? 'it is a choice between several shapes');
      const rest = Object.fromEntries(Object.entries(s).filter(([k]) => k !== comb));
      s = { ...inner.schema, ...rest };
      nullable = true;
      break;
    }
  }
  const base: FieldBase = {
    ...base0,
    label: capText(own(s, 'title'), LIMITS.title) ?? base0.label,
    description: capText(own(s, 'description'), LIMITS.description) ?? base0.description,
    ...(hasOwn(s, 'default') && isJson(own(s, 'default')) ? { default: own(s, 'default') as Json } : {}),
  };

  const rawType = own(s, 'type');
  const types = typeof rawType === 'string' ? [rawType] : Array.isArray(rawType) && rawType.every((t) => typeof t === 'string') ? rawType : undefined;
  if (rawType !== undefined && types === undefined) return jsonField(s, base, 'its type is not understood');
  if (types?.includes('null')) nullable = true;
  const nonNull = types?.filter((t) => t !== 'null');
  const b: FieldBase = { ...base, nullable };

  // Enums: plain, legacy enumNames, const, titled oneOf/anyOf of consts.
  const titled = constOptions(own(s, 'oneOf')) ?? constOptions(own(s, 'anyOf'));
  const plain = enumOptions(s);
  const single =
    hasOwn(s, 'const') && isJson(own(s, 'const')) && typeof own(s, 'const') !== 'object'
      ? [{ value: own(s, 'const') as Json, label: optionLabel(own(s, 'const') as Json) }]
      : undefined;
  const options = titled ?? plain ?? single;
  if (options && (nonNull === undefined || nonNull.length <= 1)) {
    return { ...b, kind: 'enum', options };
  }
  if (hasOwn(s, 'enum') || hasOwn(s, 'const')) return jsonField(s, b, 'its allowed values are not simple values');
  if (hasOwn(s, 'oneOf') || hasOwn(s, 'anyOf')) return jsonField(s, b, 'it is a choice between several shapes');
  if (hasOwn(s, 'not') || hasOwn(s, 'if')) return jsonField(s, b, 'it uses conditions the form cannot show');

  let type: string | undefined;
  if (nonNull === undefined) {
    if (hasOwn(s, 'properties')) type = 'object';
    else if (hasOwn(s, 'items')) type = 'array';
    else return jsonField(s, b, 'it has no type');
  } else if (nonNull.length === 1) {
    type = nonNull[0];
  } else if (nonNull.length === 0) {
    return jsonField(s, b, 'it can only be null');
  } else {
    return jsonField(s, b, 'it can be one of several types');
  }

  switch (type) {
    case 'string': {
      const format = own(s, 'format');
      const pattern = typeof own(s, 'pattern') === 'string' ? (own(s, 'pattern') as string) : undefined;
      const maxLength = count(own(s, 'maxLength'));
      const examples = own(s, 'examples');
      const example = Array.isArray(examples) && typeof examples[0] === 'string' ? cap(examples[0], LIMITS.title) : undefined;
      const secret = format === 'password' || own(s, 'writeOnly') === true;
      return {
        ...b,
        kind: 'string',
        ...(isKnownFormat(format) ? { format } : secret ? { format: 'password' as const } : {}),
        ...(count(own(s, 'minLength')) !== undefined ? { minLength: count(own(s, 'minLength')) } : {}),
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(pattern !== undefined ? { pattern: cap(pattern, LIMITS.title) } : {}),
        patternCheckable: pattern === undefined || compilePattern(pattern) !== null,
        multiline: !secret && !isKnownFormat(format) && ((maxLength ?? 0) > 200 || typeof own(s, 'contentMediaType') === 'string'),
        ...(example !== undefined ? { placeholder: example } : format === 'date-time' ? { placeholder: '2025-01-31T13:45:00Z' } : {}),
      };
    }
    case 'number':
    case 'integer': {
      const min = own(s, 'minimum');
      const max = own(s, 'maximum');
      const exMin = own(s, 'exclusiveMinimum');
      const exMax = own(s, 'exclusiveMaximum');
      const examples = own(s, 'examples');
      return {
        ...b,
        kind: 'number',
        integer: type === 'integer',
        // draft-4 style `exclusiveMinimum: true` turns `minimum` exclusive
        ...(finite(min) && exMin !== true ? { minimum: min } : {}),
        ...(finite(max) && exMax !== true ? { maximum: max } : {}),
        ...(finite(exMin) ? { exclusiveMinimum: exMin } : exMin === true && finite(min) ? { exclusiveMinimum: min } : {}),
        ...(finite(exMax) ? { exclusiveMaximum: exMax } : exMax === true && finite(max) ? { exclusiveMaximum: max } : {}),
        ...(Array.isArray(examples) && finite(examples[0]) ? { placeholder: String(examples[0]) } : {}),
      };
    }
    case 'boolean':
      return { ...b, kind: 'boolean' };
    case 'object': {
      if (hasOwn(s, 'patternProperties')) return jsonField(s, b, 'its property names follow patterns');
      const props = own(s, 'properties');
      if (!isObject(props) || Object.keys(props).length === 0) {
        return jsonField(s, b, isObject(own(s, 'additionalProperties')) ? 'it is a map of names to values' : 'it is a free-form object');
      }
      const required = own(s, 'required');
      const req = new Set(Array.isArray(required) ? required.filter((k): k is string => typeof k === 'string') : []);
      const fields = Object.keys(props).map((key) => normalize(props[key], ctx, { key, required: req.has(key), depth: at.depth + 1, refs: r.refs }));
      return { ...b, kind: 'object', fields };
    }
    case 'array': {
      if (hasOwn(s, 'prefixItems') || Array.isArray(own(s, 'items'))) return jsonField(s, b, 'it is a list of fixed positions');
      const items = resolveForForm(own(s, 'items'), ctx.root, r.refs);
      const minItems = count(own(s, 'minItems'));
      const maxItems = count(own(s, 'maxItems'));
      const bounds = { ...(minItems !== undefined ? { minItems } : {}), ...(maxItems !== undefined ? { maxItems } : {}) };
      if (!items.problem && isObject(items.schema)) {
        const multi = constOptions(own(items.schema, 'anyOf')) ?? constOptions(own(items.schema, 'oneOf')) ?? enumOptions(items.schema);
        if (multi) return { ...b, kind: 'multi-enum', options: multi, ...bounds };
      }
      if (own(s, 'items') === undefined) return jsonField(s, b, 'its items can be anything');
      const item = normalize(own(s, 'items'), ctx, { key: '', label: b.label, required: true, depth: at.depth + 1, refs: r.refs });
      return { ...b, kind: 'array', items: item, ...bounds };
    }
    default:
      return jsonField(s, b, `its type "${cap(String(type), 40)}" is not known`);
  }
}

// ---------------------------------------------------------------------------------------------
// Form values: the editable state behind the controls.

export type FormValue =
  /** string, number and json fields: the text as typed. */
  | { t: 'text'; text: string }
  /** undefined: an optional checkbox nobody touched (left out of the value). */
  | { t: 'bool'; value: boolean | undefined }
  /** The index of the chosen option, -1 for none. */
  | { t: 'enum'; index: number }
  | { t: 'multi'; indexes: number[] }
  | { t: 'array'; rows: FormValue[] }
  | { t: 'object'; props: Map<string, FormValue> };

/** The form's state for a fresh form: defaults where the schema gives them, else empty. */
export function defaultFormValue(field: Field): FormValue {
  if (field.default !== undefined && field.kind !== 'object') {
    const r = formValueFromJson(field, field.default);
    if (r.ok) return r.value;
  }
  switch (field.kind) {
    case 'string':
    case 'number':
    case 'json':
      return { t: 'text', text: '' };
    case 'boolean':
      return { t: 'bool', value: field.required && !field.nullable ? false : undefined };
    case 'enum':
      return { t: 'enum', index: -1 };
    case 'multi-enum':
      return { t: 'multi', indexes: [] };
    case 'array':
      return { t: 'array', rows: [] };
    case 'object': {
      const given = isObject(field.default) ? field.default : undefined;
      const props = new Map<string, FormValue>();
      for (const child of field.fields) {
        const d = given && hasOwn(given, child.key) ? formValueFromJson(child, given[child.key]) : undefined;
        props.set(child.key, d?.ok ? d.value : defaultFormValue(child));
      }
      return { t: 'object', props };
    }
  }
}

/** An empty form value for a field (what an absent JSON value looks like in the form). */
export function emptyFormValue(field: Field): FormValue {
  switch (field.kind) {
    case 'boolean':
      return { t: 'bool', value: undefined };
    case 'enum':
      return { t: 'enum', index: -1 };
    case 'multi-enum':
      return { t: 'multi', indexes: [] };
    case 'array':
      return { t: 'array', rows: [] };
    case 'object':
      return { t: 'object', props: new Map(field.fields.map((f) => [f.key, emptyFormValue(f)])) };
    default:
      return { t: 'text', text: '' };
  }
}

export type FromJson = { ok: true; value: FormValue } | { ok: false; path: PathSegment[]; reason: string };

const misfit = (path: PathSegment[], reason: string): FromJson => ({ ok: false, path, reason });

/**
 * The form state that shows a JSON value, or why the form cannot show it ("fits" means converting
 * back gives the same value, give or take empty optional fields).
 */
export function formValueFromJson(field: Field, json: unknown, path: PathSegment[] = []): FromJson {
  if (json === undefined) return { ok: true, value: emptyFormValue(field) };
  if (json === null && field.nullable && field.kind !== 'enum' && field.kind !== 'json') return { ok: true, value: emptyFormValue(field) };
  switch (field.kind) {
    case 'string':
      return typeof json === 'string' ? { ok: true, value: { t: 'text', text: json } } : misfit(path, 'expected text');
    case 'number':
      return finite(json) ? { ok: true, value: { t: 'text', text: String(json) } } : misfit(path, 'expected a number');
    case 'boolean':
      return typeof json === 'boolean' ? { ok: true, value: { t: 'bool', value: json } } : misfit(path, 'expected true or false');
    case 'enum': {
      const index = field.options.findIndex((o) => deepEqual(o.value, json));
      if (index >= 0) return { ok: true, value: { t: 'enum', index } };
      return json === null && field.nullable ? { ok: true, value: { t: 'enum', index: -1 } } : misfit(path, 'not one of the options');
    }
    case 'multi-enum': {
      if (!Array.isArray(json)) return misfit(path, 'expected a list');
      const indexes: number[] = [];
      for (const v of json) {
        const i = field.options.findIndex((o) => deepEqual(o.value, v));
        if (i < 0 || indexes.includes(i)) return misfit(path, 'not one of the options');
        indexes.push(i);
      }
      return { ok: true, value: { t: 'multi', indexes } };
    }
    case 'array': {
      if (!Array.isArray(json)) return misfit(path, 'expected a list');
      const rows: FormValue[] = [];
      for (let i = 0; i < json.length; i++) {
        const r = formValueFromJson(field.items, json[i], [...path, i]);
        if (!r.ok) return r;
        rows.push(r.value);
      }
      return { ok: true, value: { t: 'array', rows } };
    }
    case 'object': {
      if (!isObject(json)) return misfit(path, 'expected an object');
      const known = new Set(field.fields.map((f) => f.key));
      const extra = Object.keys(json).find((k) => !known.has(k));
      if (extra !== undefined) return misfit([...path, extra], 'the form has no field for it');
      const props = new Map<string, FormValue>();
      for (const child of field.fields) {
        const r = formValueFromJson(child, hasOwn(json, child.key) ? json[child.key] : undefined, [...path, child.key]);
        if (!r.ok) return r;
        props.set(child.key, r.value);
      }
      return { ok: true, value: { t: 'object', props } };
    }
    case 'json': {
      let text: string | undefined;
      try {
        text = JSON.stringify(json, null, 2);
      } catch {
        text = undefined;
      }
      return text === undefined ? misfit(path, 'not JSON') : { ok: true, value: { t: 'text', text } };
    }
  }
}

export interface ToJson {
  /** undefined: left out (an empty optional field). */
  value: Json | undefined;
  /** What could not be converted ("must be a number", "is not valid JSON"). */
  issues: Issue[];
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The JSON value of a form state. `required` is whether an empty value still has to be sent (as
 * null when the field is nullable); `inRow` marks an array row, which exists because someone added
 * it, so empty text there is "" rather than nothing.
 */
export function formValueToJson(field: Field, fv: FormValue, path: PathSegment[] = [], inRow = false): ToJson {
  const empty = (): ToJson => ({ value: field.nullable && field.required ? null : undefined, issues: [] });
  switch (field.kind) {
    case 'string': {
      const text = fv.t === 'text' ? fv.text : '';
      if (text === '' && !inRow) return empty();
      return { value: text, issues: [] };
    }
    case 'number': {
      const text = fv.t === 'text' ? fv.text.trim() : '';
      if (text === '') return inRow ? { value: undefined, issues: [{ path, message: 'must be a number' }] } : empty();
      const n = Number(text);
      if (!NUMBER.test(text) || !Number.isFinite(n)) return { value: undefined, issues: [{ path, message: field.integer ? 'must be a whole number' : 'must be a number' }] };
      return { value: n, issues: [] };
    }
    case 'boolean': {
      const v = fv.t === 'bool' ? fv.value : undefined;
      if (v === undefined) return inRow ? { value: false, issues: [] } : empty();
      return { value: v, issues: [] };
    }
    case 'enum': {
      const i = fv.t === 'enum' ? fv.index : -1;
      const option = field.options[i];
      return option ? { value: option.value, issues: [] } : empty();
    }
    case 'multi-enum': {
      const indexes = fv.t === 'multi' ? fv.indexes : [];
      if (indexes.length === 0 && !field.required && !inRow) return empty();
      const chosen = [...new Set(indexes)].filter((i) => i >= 0 && i < field.options.length).sort((a, b) => a - b);
      return { value: chosen.map((i) => field.options[i].value), issues: [] };
    }
    case 'array': {
      const rows = fv.t === 'array' ? fv.rows : [];
      if (rows.length === 0 && !field.required && !inRow) return empty();
      const issues: Issue[] = [];
      const out: Json[] = [];
      rows.forEach((row, i) => {
        const r = formValueToJson(field.items, row, [...path, i], true);
        issues.push(...r.issues);
        out.push(r.value === undefined ? null : r.value);
      });
      return { value: out, issues };
    }
    case 'object': {
      const props = fv.t === 'object' ? fv.props : new Map<string, FormValue>();
      const issues: Issue[] = [];
      const out: { [key: string]: Json } = {};
      let any = false;
      for (const child of field.fields) {
        const r = formValueToJson(child, props.get(child.key) ?? emptyFormValue(child), [...path, child.key]);
        issues.push(...r.issues);
        if (r.value !== undefined) {
          setOwn(out, child.key, r.value);
          any = true;
        } else if (r.issues.length > 0) {
          any = true; // something was typed, just not right
        }
      }
      if (!any && !field.required && !inRow) return empty();
      return { value: out, issues };
    }
    case 'json': {
      const text = fv.t === 'text' ? fv.text : '';
      if (text.trim() === '') return inRow ? { value: undefined, issues: [{ path, message: 'is not valid JSON' }] } : empty();
      try {
        const parsed: unknown = JSON.parse(text);
        return { value: parsed as Json, issues: [] };
      } catch {
        return { value: undefined, issues: [{ path, message: 'is not valid JSON' }] };
      }
    }
  }
}

const within = (path: readonly PathSegment[], prefix: readonly PathSegment[]) => prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);

/**
 * The value of a form and everything wrong with it: what could not be converted, then what the
 * schema rejects (leaving out schema complaints about a field that already has a conversion problem).
 */
export function validateForm(schema: unknown, field: Field, fv: FormValue): { value: Json | undefined; issues: Issue[] } {
  const converted = formValueToJson(field, fv);
  const schemaIssues = converted.value === undefined ? [{ path: [], message: 'is required' }] : validateJson(schema, converted.value);
  const issues = [...converted.issues, ...schemaIssues.filter((i) => !converted.issues.some((c) => within(i.path, c.path)))];
  return { value: converted.value, issues };
}

// ---------------------------------------------------------------------------------------------
// Validation: the JSON Schema 2020-12 subset that tools and elicitations use.

interface VCtx {
  root: unknown;
  issues: Issue[];
  steps: number;
}

const MAX_STEPS = 200_000;
const MAX_DEPTH = 64;

/** Checks a value against a schema; [] when it fits. Never throws, never echoes the value. */
export function validateJson(schema: unknown, value: unknown): Issue[] {
  const ctx: VCtx = { root: schema, issues: [], steps: 0 };
  check(schema, value, [], ctx, 0);
  return ctx.issues.slice(0, LIMITS.issues);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return finite(v);
    case 'object':
      return isObject(v);
    default:
      return typeOf(v) === t;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function passes(schema: unknown, value: unknown, path: readonly PathSegment[], ctx: VCtx, depth: number): boolean {
  const sub: VCtx = { root: ctx.root, issues: [], steps: ctx.steps };
  check(schema, value, path, sub, depth);
  ctx.steps = sub.steps;
  return sub.issues.length === 0;
}

function check(schema: unknown, v: unknown, path: readonly PathSegment[], ctx: VCtx, depth: number): void {
  if (ctx.issues.length >= LIMITS.issues || depth > MAX_DEPTH || ++ctx.steps > MAX_STEPS) return;
  const add = (message: string, at: readonly PathSegment[] = path) => void ctx.issues.push({ path: at, message });
  if (schema === false) return add('is not allowed');
  if (!isObject(schema)) return;
  const s = schema;

  const ref = own(s, '$ref');
  if (typeof ref === 'string' && ref.startsWith('#')) {
    const target = resolvePointer(ctx.root, ref);
    if (target !== undefined) check(target, v, path, ctx, depth + 1);
  }

  const rawType = own(s, 'type');
  const types = typeof rawType === 'string' ? [rawType] : Array.isArray(rawType) ? rawType.filter((t): t is string => typeof t === 'string') : undefined;
  if (types && types.length > 0 && !types.some((t) => hasType(v, t))) {
    const words = types.map((t) => TYPE_WORDS[t] ?? cap(t, 40));
    return add(`must be ${words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0]}`);
  }

  const en = own(s, 'enum');
  if (Array.isArray(en) && !en.some((x) => deepEqual(x, v))) {
    const list = en.slice(0, 10).map(show).join(', ');
    add(`must be one of: ${list}${en.length > 10 ? ', …' : ''}`);
  }
  if (hasOwn(s, 'const') && !deepEqual(own(s, 'const'), v)) add(`must be ${show(own(s, 'const'))}`);

  if (typeof v === 'string') {
    const length = [...v].length;
    const minLength = count(own(s, 'minLength'));
    const maxLength = count(own(s, 'maxLength'));
    if (minLength !== undefined && length < minLength) add(minLength === 1 ? 'must not be empty' : `must be at least ${minLength} characters`);
    if (maxLength !== undefined && length > maxLength) add(`must be at most ${maxLength} character${maxLength === 1 ? '' : 's'}`);
    const pattern = own(s, 'pattern');
    const re = compilePattern(pattern);
    if (re && !re.test(v)) add(`must match the pattern ${cap(String(pattern), LIMITS.title)}`);
    const format = own(s, 'format');
    if (isKnownFormat(format) && !checkFormat(format, v)) add(FORMAT_MESSAGES[format]);
  }

  if (typeof v === 'number') {
    const min = own(s, 'minimum');
    const max = own(s, 'maximum');
    const exMin = own(s, 'exclusiveMinimum');
    const exMax = own(s, 'exclusiveMaximum');
    if (finite(min) && (exMin === true ? v <= min : v < min)) add(exMin === true ? `must be greater than ${min}` : `must be at least ${min}`);
    if (finite(max) && (exMax === true ? v >= max : v > max)) add(exMax === true ? `must be less than ${max}` : `must be at most ${max}`);
    if (finite(exMin) && v <= exMin) add(`must be greater than ${exMin}`);
    if (finite(exMax) && v >= exMax) add(`must be less than ${exMax}`);
    const multipleOf = own(s, 'multipleOf');
    if (finite(multipleOf) && multipleOf > 0) {
      const q = v / multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) add(`must be a multiple of ${multipleOf}`);
    }
  }

  if (Array.isArray(v)) {
    const minItems = count(own(s, 'minItems'));
    const maxItems = count(own(s, 'maxItems'));
    if (minItems !== undefined && v.length < minItems) add(`must have at least ${minItems} item${minItems === 1 ? '' : 's'}`);
    if (maxItems !== undefined && v.length > maxItems) add(`must have at most ${maxItems} item${maxItems === 1 ? '' : 's'}`);
    if (own(s, 'uniqueItems') === true && v.length <= 2000 && v.some((x, i) => v.findIndex((y) => deepEqual(x, y)) !== i)) add('must not repeat items');
    const prefix = own(s, 'prefixItems');
    const items = own(s, 'items');
    const tuple = Array.isArray(prefix) ? prefix : Array.isArray(items) ? items : [];
    v.forEach((x, i) => {
      if (i < tuple.length) check(tuple[i], x, [...path, i], ctx, depth + 1);
      else if (!Array.isArray(items) && items !== undefined) check(items, x, [...path, i], ctx, depth + 1);
    });
    const contains = own(s, 'contains');
    if (contains !== undefined && !v.some((x, i) => passes(contains, x, [...path, i], ctx, depth + 1))) add('must contain a matching item');
  }

  if (isObject(v)) {
    const required = own(s, 'required');
    if (Array.isArray(required)) for (const k of required) if (typeof k === 'string' && !hasOwn(v, k)) add('is required', [...path, k]);
    const props = own(s, 'properties');
    const patterns = own(s, 'patternProperties');
    const additional = own(s, 'additionalProperties');
    const keys = Object.keys(v);
    const minP = count(own(s, 'minProperties'));
    const maxP = count(own(s, 'maxProperties'));
    if (minP !== undefined && keys.length < minP) add(`must have at least ${minP} propert${minP === 1 ? 'y' : 'ies'}`);
    if (maxP !== undefined && keys.length > maxP) add(`must have at most ${maxP} propert${maxP === 1 ? 'y' : 'ies'}`);
    for (const k of keys) {
      let matched = false;
      if (isObject(props) && hasOwn(props, k)) {
        matched = true;
        check(props[k], v[k], [...path, k], ctx, depth + 1);
      }
      if (isObject(patterns)) {
        for (const [p, ps] of Object.entries(patterns)) {
          const re = compilePattern(p);
          if (re === null)
            matched = true; // not checkable: do not call the property "additional"
          else if (re.test(k)) {
            matched = true;
            check(ps, v[k], [...path, k], ctx, depth + 1);
          }
        }
      }
      if (!matched && additional !== undefined) {
        if (additional === false) add('is not allowed here', [...path, k]);
        else check(additional, v[k], [...path, k], ctx, depth + 1);
      }
    }
  }

  const allOf = own(s, 'allOf');
  if (Array.isArray(allOf)) for (const part of allOf) check(part, v, path, ctx, depth + 1);
  for (const comb of ['anyOf', 'oneOf'] as const) {
    const list = own(s, comb);
    if (!Array.isArray(list) || list.length === 0) continue;
    const passing = list.filter((branch) => passes(branch, v, path, ctx, depth + 1)).length;
    if (passing === 0) {
      const consts = constOptions(list);
      // a nullable X (anyOf [X, null]) with a non-null value: say what is wrong with it as an X
      const candidates = v === null ? list : list.filter((b) => !isNullSchema(b));
      if (consts)
        add(
          `must be one of: ${consts
            .slice(0, 10)
            .map((o) => show(o.value))
            .join(', ')}${consts.length > 10 ? ', …' : ''}`,
        );
      else if (candidates.length === 1) check(candidates[0], v, path, ctx, depth + 1);
      else add('does not match any of the allowed shapes');
    } else if (comb === 'oneOf' && passing > 1) {
      add('matches more than one of the allowed shapes');
    }
  }
  const not = own(s, 'not');
  if (not !== undefined && passes(not, v, path, ctx, depth + 1)) add('is not allowed');
  const cond = own(s, 'if');
  if (cond !== undefined) {
    const branch = passes(cond, v, path, ctx, depth + 1) ? own(s, 'then') : own(s, 'else');
    if (branch !== undefined) check(branch, v, path, ctx, depth + 1);
  }
}
