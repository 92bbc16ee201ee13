// The pure logic behind the workbench forms (webview-ui/components/schema.ts): JSON Schema to field
// descriptors, defaults, conversion between form state and the JSON value, and validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compilePattern,
  defaultFormValue,
  formatIssue,
  formatPath,
  formValueFromJson,
  formValueToJson,
  LIMITS,
  normalizeSchema,
  validateForm,
  validateJson,
  type Field,
  type FormValue,
  type ObjectField,
} from '../../webview-ui/components/schema';

function objectField(schema: unknown): ObjectField {
  const f = normalizeSchema(schema);
  assert.equal(f.kind, 'object', `expected an object form, got ${f.kind}${f.kind === 'json' ? ` (${f.reason})` : ''}`);
  return f;
}
const fieldOf = (schema: unknown, key: string): Field => {
  const f = objectField(schema).fields.find((x) => x.key === key);
  assert.ok(f, `no field ${key}`);
  return f;
};
const prop = (s: unknown) => ({ type: 'object', properties: { x: s } });
const messages = (schema: unknown, value: unknown) => validateJson(schema, value).map(formatIssue);

/** Fills the form state as a person would, by path of property names. */
function setText(fv: FormValue, path: string[], text: string): void {
  let node = fv;
  for (const key of path) {
    assert.equal(node.t, 'object');
    if (node.t !== 'object') return;
    const next = node.props.get(key);
    assert.ok(next, `no form value at ${key}`);
    node = next;
  }
  assert.equal(node.t, 'text');
  if (node.t === 'text') node.text = text;
}

describe('schema form: field descriptors', () => {
  it('turns object properties into fields, with required, title as label (else the name) and description as help', () => {
    const f = objectField({
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', title: 'Full name', description: 'As on your passport' }, nick: { type: 'string' } },
    });
    assert.deepEqual(
      f.fields.map((x) => [x.key, x.kind, x.label, x.required, x.description]),
      [
        ['name', 'string', 'Full name', true, 'As on your passport'],
        ['nick', 'string', 'nick', false, undefined],
      ],
    );
  });

  it('caps titles at 200 and descriptions at 2,000 characters', () => {
    const f = fieldOf(prop({ type: 'string', title: 'T'.repeat(5000), description: 'D'.repeat(50_000) }), 'x');
    assert.equal(f.label.length, LIMITS.title);
    assert.ok(f.label.endsWith('…'));
    assert.equal(f.description?.length, LIMITS.description);
  });

  it('reads string formats and constraints', () => {
    for (const format of ['email', 'uri', 'date', 'date-time'] as const) {
      const f = fieldOf(prop({ type: 'string', format }), 'x');
      assert.equal(f.kind === 'string' && f.format, format);
    }
    const f = fieldOf(prop({ type: 'string', minLength: 2, maxLength: 5, pattern: '^[a-z]+$' }), 'x');
    assert.ok(f.kind === 'string');
    assert.deepEqual([f.minLength, f.maxLength, f.pattern, f.patternCheckable, f.multiline], [2, 5, '^[a-z]+$', true, false]);
    const long = fieldOf(prop({ type: 'string', maxLength: 10_000 }), 'x');
    assert.ok(long.kind === 'string' && long.multiline, 'a long text gets a textarea');
    const secret = fieldOf(prop({ type: 'string', writeOnly: true }), 'x');
    assert.ok(secret.kind === 'string' && secret.format === 'password');
  });

  it('reads number and integer bounds, in 2020-12 and draft-4 spelling', () => {
    const n = fieldOf(prop({ type: 'number', minimum: 1, maximum: 9, exclusiveMaximum: 10 }), 'x');
    assert.ok(n.kind === 'number');
    assert.deepEqual([n.integer, n.minimum, n.maximum, n.exclusiveMaximum], [false, 1, 9, 10]);
    const i = fieldOf(prop({ type: 'integer', minimum: 0, exclusiveMinimum: true }), 'x');
    assert.ok(i.kind === 'number');
    assert.deepEqual([i.integer, i.minimum, i.exclusiveMinimum], [true, undefined, 0]);
  });

  it('makes booleans checkboxes', () => {
    assert.equal(fieldOf(prop({ type: 'boolean' }), 'x').kind, 'boolean');
  });

  it('reads every enum spelling: enum, enumNames, oneOf/anyOf of const+title, const', () => {
    const opts = (s: unknown) => {
      const f = fieldOf(prop(s), 'x');
      assert.equal(f.kind, 'enum');
      return f.kind === 'enum' ? f.options.map((o) => [o.value, o.label]) : [];
    };
    assert.deepEqual(opts({ type: 'string', enum: ['a', 'b'] }), [
      ['a', 'a'],
      ['b', 'b'],
    ]);
    assert.deepEqual(opts({ type: 'string', enum: ['a', 'b'], enumNames: ['Alpha', 'Beta'] }), [
      ['a', 'Alpha'],
      ['b', 'Beta'],
    ]);
    assert.deepEqual(
      opts({
        type: 'string',
        oneOf: [
          { const: 'r', title: 'Red' },
          { const: 'g', title: 'Green' },
        ],
      }),
      [
        ['r', 'Red'],
        ['g', 'Green'],
      ],
    );
    assert.deepEqual(opts({ anyOf: [{ const: 1, title: 'One' }, { const: 2 }] }), [
      [1, 'One'],
      [2, '2'],
    ]);
    assert.deepEqual(opts({ const: 'only' }), [['only', 'only']]);
    assert.deepEqual(opts({ type: 'integer', enum: [1, 2, 3] }).length, 3);
  });

  it('reads multi-select enums (items.enum and items.anyOf of const+title) with their bounds', () => {
    const a = fieldOf(prop({ type: 'array', items: { type: 'string', enum: ['x', 'y', 'z'] }, minItems: 1, maxItems: 2 }), 'x');
    assert.ok(a.kind === 'multi-enum');
    assert.deepEqual([a.options.length, a.minItems, a.maxItems], [3, 1, 2]);
    const b = fieldOf(
      prop({
        type: 'array',
        items: {
          anyOf: [
            { const: 'x', title: 'Ex' },
            { const: 'y', title: 'Why' },
          ],
        },
      }),
      'x',
    );
    assert.ok(b.kind === 'multi-enum');
    assert.deepEqual(
      b.options.map((o) => o.label),
      ['Ex', 'Why'],
    );
  });

  it('makes arrays of primitives and of objects into rows, and nested objects into fieldsets', () => {
    const s = fieldOf(prop({ type: 'array', items: { type: 'number' }, maxItems: 3 }), 'x');
    assert.ok(s.kind === 'array' && s.items.kind === 'number' && s.maxItems === 3);
    const o = fieldOf(prop({ type: 'array', items: { type: 'object', properties: { k: { type: 'string' } }, required: ['k'] } }), 'x');
    assert.ok(o.kind === 'array' && o.items.kind === 'object');
    assert.equal(o.items.label, 'x', 'rows take the list label when the items have no title');
    const nested = fieldOf(prop({ type: 'object', properties: { city: { type: 'string' } } }), 'x');
    assert.ok(nested.kind === 'object' && nested.fields[0].key === 'city');
  });

  it('reads nullable types, as a type list and as anyOf with null', () => {
    const a = fieldOf(prop({ type: ['string', 'null'] }), 'x');
    assert.ok(a.kind === 'string' && a.nullable);
    const b = fieldOf(prop({ anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], title: 'Count' }), 'x');
    assert.ok(b.kind === 'number' && b.nullable && b.integer && b.minimum === 1 && b.label === 'Count');
  });

  it('follows local $ref into $defs (and definitions), with sibling keywords winning', () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address', title: 'Home' }, work: { $ref: '#/definitions/Address' } },
      $defs: { Address: { type: 'object', title: 'Address', properties: { city: { type: 'string' } } } },
      definitions: { Address: { type: 'object', properties: { street: { type: 'string' } } } },
    };
    const home = fieldOf(schema, 'home');
    assert.ok(home.kind === 'object' && home.label === 'Home' && home.fields[0].key === 'city');
    const work = fieldOf(schema, 'work');
    assert.ok(work.kind === 'object' && work.fields[0].key === 'street');
  });

  it('folds allOf into one object', () => {
    const f = fieldOf(prop({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'number' } } }] }), 'x');
    assert.ok(f.kind === 'object');
    assert.deepEqual(
      f.fields.map((x) => [x.key, x.required]),
      [
        ['a', true],
        ['b', false],
      ],
    );
  });

  it('stops at $ref cycles: the recursive part is edited as JSON', () => {
    const schema = {
      type: 'object',
      properties: { tree: { $ref: '#/$defs/Node' }, loop: { $ref: '#/$defs/A' }, self: { $ref: '#' } },
      $defs: {
        Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } },
        A: { $ref: '#/$defs/B' },
        B: { $ref: '#/$defs/A' },
      },
    };
    const tree = fieldOf(schema, 'tree');
    assert.ok(tree.kind === 'object');
    const children = tree.fields.find((x) => x.key === 'children');
    assert.ok(children?.kind === 'array' && children.items.kind === 'json' && /recursive/.test(children.items.reason));
    const loop = fieldOf(schema, 'loop');
    assert.ok(loop.kind === 'json' && /recursive/.test(loop.reason));
    const self = fieldOf(schema, 'self');
    assert.ok(self.kind === 'object', 'one level of a self-reference is still a form');
  });

  it('edits what a form cannot express as JSON, saying why', () => {
    const cases: [unknown, RegExp][] = [
      [
        {
          oneOf: [
            { type: 'object', properties: { a: { type: 'string' } } },
            { type: 'object', properties: { b: { type: 'string' } } },
          ],
        },
        /choice/,
      ],
      [{ type: 'object', additionalProperties: { type: 'string' } }, /map/],
      [{ type: 'object', properties: { a: { type: 'string' } }, patternProperties: { '^x': { type: 'string' } } }, /pattern/],
      [{ type: 'object' }, /free-form/],
      [{ type: 'frobnicate' }, /not known/],
      [{ type: ['string', 'number'] }, /several types/],
      [{}, /any JSON value/],
      [{ type: 'array', prefixItems: [{ type: 'string' }] }, /fixed positions/],
      [{ type: 'array' }, /anything/],
      [{ $ref: 'https://example.com/schema.json' }, /another document/],
      [{ $ref: '#/$defs/Missing' }, /cannot be found/],
      [{ enum: [{ a: 1 }] }, /not simple/],
    ];
    for (const [schema, reason] of cases) {
      const f = fieldOf(prop(schema), 'x');
      assert.equal(f.kind, 'json', JSON.stringify(schema));
      if (f.kind === 'json') {
        assert.match(f.reason, reason, JSON.stringify(schema));
        assert.ok(f.schemaText !== undefined && f.schemaText.length <= LIMITS.schemaText);
      }
    }
  });

  it('falls back to JSON for a huge schema as a whole, and for the deep part of a deep one', () => {
    const huge = { type: 'object', properties: Object.fromEntries(Array.from({ length: LIMITS.fields + 50 }, (_, i) => [`p${i}`, { type: 'string' }])) };
    const h = normalizeSchema(huge);
    assert.ok(h.kind === 'json' && /too large/.test(h.reason));
    // the whole value is still validated against the real schema
    assert.deepEqual(validateJson(huge, { p1: 2 }).map(formatIssue), ['p1: must be text']);

    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20; i++) deep = { type: 'object', properties: { next: deep } };
    let f = normalizeSchema(deep);
    let depth = 0;
    while (f.kind === 'object') {
      f = f.fields[0];
      depth++;
    }
    assert.ok(f.kind === 'json' && /too deeply/.test(f.reason));
    assert.equal(depth, LIMITS.depth + 1);
  });

  it('never throws on junk, and never reads Object.prototype through a property name', () => {
    for (const junk of [undefined, null, 42, 'x', [], true, false, { type: 'object', properties: 'nope' }, { type: 'object', properties: { a: null } }, { $ref: 7 }]) {
      assert.doesNotThrow(() => normalizeSchema(junk), JSON.stringify(junk));
      assert.doesNotThrow(() => validateJson(junk, { a: 1 }), JSON.stringify(junk));
    }
    const f = objectField({ type: 'object', required: ['constructor', '__proto__'], properties: JSON.parse('{"constructor":{"type":"string"},"__proto__":{"type":"number"}}') });
    assert.deepEqual(
      f.fields.map((x) => [x.key, x.kind, x.required]),
      [
        ['constructor', 'string', true],
        ['__proto__', 'number', true],
      ],
    );
    const fv = defaultFormValue(f);
    setText(fv, ['constructor'], 'c');
    setText(fv, ['__proto__'], '5');
    const out = formValueToJson(f, fv).value as Record<string, unknown>;
    assert.equal(JSON.stringify(out), '{"constructor":"c","__proto__":5}');
    assert.equal(Object.getPrototypeOf(out), Object.prototype, 'the prototype is not replaced');
  });
});

describe('schema form: defaults and values', () => {
  const elicitation = {
    type: 'object',
    required: ['name', 'plan'],
    properties: {
      name: { type: 'string', title: 'Name', default: 'Ann' },
      age: { type: 'integer', default: 30 },
      subscribe: { type: 'boolean', default: true },
      plan: { type: 'string', enum: ['free', 'pro'], default: 'pro' },
      topics: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, default: ['c', 'a'] },
      note: { type: 'string' },
      agree: { type: 'boolean' },
    },
  };

  it('starts from the schema defaults and leaves out empty optional fields', () => {
    const f = normalizeSchema(elicitation);
    assert.deepEqual(formValueToJson(f, defaultFormValue(f)), {
      value: { name: 'Ann', age: 30, subscribe: true, plan: 'pro', topics: ['a', 'c'] },
      issues: [],
    });
  });

  it('takes defaults from an object default too', () => {
    const f = normalizeSchema({
      type: 'object',
      properties: { opts: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number', default: 2 } }, default: { a: 'x' } } },
    });
    assert.deepEqual(formValueToJson(f, defaultFormValue(f)).value, { opts: { a: 'x', b: 2 } });
  });

  it('an untouched optional checkbox is left out; a required one is false', () => {
    const f = normalizeSchema({ type: 'object', required: ['must'], properties: { must: { type: 'boolean' }, may: { type: 'boolean' } } });
    assert.deepEqual(formValueToJson(f, defaultFormValue(f)).value, { must: false });
  });

  it('converts typed text: numbers parse, bad numbers and bad JSON are issues naming the path', () => {
    const schema = { type: 'object', properties: { n: { type: 'number' }, i: { type: 'integer' }, j: { type: 'object', additionalProperties: { type: 'number' } } } };
    const f = normalizeSchema(schema);
    const fv = defaultFormValue(f);
    setText(fv, ['n'], ' 2.5e1 ');
    setText(fv, ['i'], '7');
    setText(fv, ['j'], '{"a": 1}');
    assert.deepEqual(formValueToJson(f, fv), { value: { n: 25, i: 7, j: { a: 1 } }, issues: [] });
    setText(fv, ['n'], '12abc');
    setText(fv, ['j'], '{a: 1}');
    assert.deepEqual(validateForm(schema, f, fv).issues.map(formatIssue), ['n: must be a number', 'j: is not valid JSON']);
  });

  it('sends null for an empty required nullable field, and nothing for an empty optional one', () => {
    const schema = { type: 'object', required: ['a'], properties: { a: { type: ['string', 'null'] }, b: { type: ['number', 'null'] } } };
    const f = normalizeSchema(schema);
    assert.deepEqual(validateForm(schema, f, defaultFormValue(f)), { value: { a: null }, issues: [] });
  });

  it('leaves out an optional nested object nobody filled in, and checks it once someone did', () => {
    const schema = { type: 'object', properties: { addr: { type: 'object', required: ['city'], properties: { city: { type: 'string' }, zip: { type: 'string' } } } } };
    const f = normalizeSchema(schema);
    const fv = defaultFormValue(f);
    assert.deepEqual(validateForm(schema, f, fv), { value: {}, issues: [] });
    setText(fv, ['addr', 'zip'], '1000');
    assert.deepEqual(validateForm(schema, f, fv).issues.map(formatIssue), ['addr.city: is required']);
  });

  it('keeps added array rows, empty text rows included', () => {
    const schema = { type: 'object', properties: { tags: { type: 'array', items: { type: 'string' } }, nums: { type: 'array', items: { type: 'number' } } } };
    const f = normalizeSchema(schema);
    const fv = formValueFromJson(f, { tags: ['a', ''], nums: [1] });
    assert.ok(fv.ok);
    if (!fv.ok) return;
    assert.deepEqual(formValueToJson(f, fv.value).value, { tags: ['a', ''], nums: [1] });
    const nums = fv.value.t === 'object' ? fv.value.props.get('nums') : undefined;
    if (nums?.t === 'array') nums.rows.push({ t: 'text', text: '' });
    assert.deepEqual(validateForm(schema, f, fv.value).issues.map(formatIssue), ['nums[1]: must be a number']);
  });

  it('round-trips JSON that fits the form, and says where JSON does not fit', () => {
    const f = normalizeSchema(elicitation);
    const value = { name: 'Bo', age: 4, subscribe: false, plan: 'free', topics: ['b'], note: 'hi', agree: true };
    const r = formValueFromJson(f, value);
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(formValueToJson(f, r.value).value, value);
    assert.deepEqual(formValueFromJson(f, { name: 'Bo', extra: 1 }), { ok: false, path: ['extra'], reason: 'the form has no field for it' });
    assert.deepEqual(formValueFromJson(f, { age: 'four' }), { ok: false, path: ['age'], reason: 'expected a number' });
    assert.deepEqual(formValueFromJson(f, { plan: 'gold' }), { ok: false, path: ['plan'], reason: 'not one of the options' });
    assert.equal(formValueFromJson(f, []).ok, false);
  });
});

describe('schema form: validation', () => {
  it('reports required fields, types, bounds, lengths, patterns, formats, enums and integers by path', () => {
    const schema = {
      type: 'object',
      required: ['name', 'email'],
      properties: {
        name: { type: 'string', minLength: 2, maxLength: 4 },
        email: { type: 'string', format: 'email' },
        site: { type: 'string', format: 'uri' },
        day: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        code: { type: 'string', pattern: '^[A-Z]{3}$' },
        count: { type: 'integer', minimum: 1, maximum: 10 },
        ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, multipleOf: 0.25 },
        color: { type: 'string', enum: ['red', 'green'] },
        size: {
          oneOf: [
            { const: 's', title: 'Small' },
            { const: 'l', title: 'Large' },
          ],
        },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2, uniqueItems: true },
        strict: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
        flag: { type: 'boolean' },
      },
    };
    assert.deepEqual(messages(schema, {}), ['name: is required', 'email: is required']);
    const bad = {
      name: 'abcdef',
      email: 'not-an-email',
      site: 'example.com',
      day: '2025-02-30',
      at: '2025-01-31 13:45',
      code: 'abc',
      count: 2.5,
      ratio: 1,
      color: 'blue',
      size: 'm',
      tags: ['a', 'a'],
      strict: { a: 'x', b: 1 },
      flag: 'yes',
    };
    assert.deepEqual(messages(schema, bad), [
      'name: must be at most 4 characters',
      'email: must be an email address',
      'site: must be a URI (like https://example.com/page)',
      'day: must be a date (YYYY-MM-DD)',
      'at: must be a date and time (like 2025-01-31T13:45:00Z)',
      'code: must match the pattern ^[A-Z]{3}$',
      'count: must be a whole number',
      'ratio: must be less than 1',
      'color: must be one of: red, green',
      'size: must be one of: s, l',
      'tags: must not repeat items',
      'strict.b: is not allowed here',
      'flag: must be true or false',
    ]);
    assert.deepEqual(messages(schema, { name: 'a', email: 'a@b.co', count: 0, ratio: 0.3, tags: ['x'] }), [
      'name: must be at least 2 characters',
      'count: must be at least 1',
      'ratio: must be a multiple of 0.25',
      'tags: must have at least 2 items',
    ]);
    const good = {
      name: 'Ann',
      email: 'ann@example.org',
      site: 'https://example.com/x',
      day: '2024-02-29',
      at: '2025-01-31T13:45:00.5+01:00',
      code: 'ABC',
      count: 10,
      ratio: 0.5,
      color: 'red',
      size: 'l',
      tags: ['a', 'b'],
      strict: { a: 'x' },
      flag: false,
    };
    assert.deepEqual(messages(schema, good), []);
  });

  it('never echoes the value in a message (it may be a secret)', () => {
    const secret = 'hunter2-very-secret-token';
    const schema = {
      type: 'object',
      properties: {
        token: { type: 'string', maxLength: 4, pattern: '^x', format: 'email', enum: ['a'] },
        n: { type: 'number' },
        j: { type: 'object', additionalProperties: false },
      },
    };
    const all = messages(schema, { token: secret, n: secret, j: { k: secret } });
    assert.ok(all.length >= 5, all.join('\n'));
    for (const m of all) assert.ok(!m.includes(secret) && !m.includes('hunter2'), m);
    const f = normalizeSchema(schema);
    const fv = defaultFormValue(f);
    setText(fv, ['n'], secret);
    setText(fv, ['j'], `{ ${secret} }`);
    for (const m of validateForm(schema, f, fv).issues.map(formatIssue)) assert.ok(!m.includes('hunter2'), m);
  });

  it('treats a pattern that does not compile as not checkable, instead of throwing', () => {
    const schema = prop({ type: 'string', pattern: '([a-z' });
    assert.equal(compilePattern('([a-z'), null);
    const f = fieldOf(schema, 'x');
    assert.ok(f.kind === 'string' && f.patternCheckable === false);
    assert.deepEqual(validateJson(schema, { x: 'anything' }), []);
    assert.deepEqual(validateJson(prop({ type: 'string', pattern: 'x'.repeat(LIMITS.pattern + 1) }), { x: 'y' }), [], 'an overlong pattern is not compiled');
    // a pattern that only works without the u flag is still checked
    assert.deepEqual(messages(prop({ type: 'string', pattern: '^\\-$' }), { x: 'a' }), ['x: must match the pattern ^\\-$']);
  });

  it('applies $ref, allOf, anyOf, oneOf, not and if/then/else', () => {
    const schema = {
      $defs: { pos: { type: 'integer', minimum: 1 } },
      type: 'object',
      properties: {
        r: { $ref: '#/$defs/pos' },
        all: { allOf: [{ type: 'string' }, { minLength: 3 }] },
        any: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        one: { oneOf: [{ type: 'number' }, { type: 'integer' }] },
        no: { not: { type: 'null' } },
        cond: { if: { type: 'string' }, then: { minLength: 2 }, else: { type: 'number' } },
        opt: { anyOf: [{ type: 'string', maxLength: 1 }, { type: 'null' }] },
      },
    };
    assert.deepEqual(messages(schema, { r: 0, all: 'ab', any: true, one: 3, no: null, cond: 'a', opt: 'xy' }), [
      'r: must be at least 1',
      'all: must be at least 3 characters',
      'any: does not match any of the allowed shapes',
      'one: matches more than one of the allowed shapes',
      'no: is not allowed',
      'cond: must be at least 2 characters',
      'opt: must be at most 1 character',
    ]);
    assert.deepEqual(messages(schema, { r: 2, all: 'abc', any: 1, one: 1.5, no: 0, cond: 5, opt: null }), []);
  });

  it('terminates on recursive schemas', () => {
    const selfRef = { $ref: '#' };
    assert.deepEqual(validateJson(selfRef, { a: 1 }), []);
    // Each visit of `a` doubles the work below it: counted, not timed, so a busy machine cannot fail it.
    let visits = 0;
    const a = new Proxy({ allOf: [{ $ref: '#/$defs/a' }, { $ref: '#/$defs/a' }] }, { get: (target, key) => (key === 'allOf' && visits++, Reflect.get(target, key)) });
    const explode = { $defs: { a }, $ref: '#/$defs/a' };
    assert.deepEqual(validateJson(explode, 1), []);
    assert.ok(visits > 1000 && visits < 1_000_000, `bounded work: ${visits} visits of a schema that would double them 64 levels deep`);
    const tree = { $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } }, n: { type: 'number' } } } }, $ref: '#/$defs/node' };
    assert.deepEqual(messages(tree, { kids: [{ kids: [{ n: 'x' }] }] }), ['kids[0].kids[0].n: must be a number']);
  });

  it('names paths readably', () => {
    assert.equal(formatPath([]), 'value');
    assert.equal(formatPath(['a', 'b', 0, 'c']), 'a.b[0].c');
    assert.equal(formatPath(['odd key', 'x.y']), '["odd key"]["x.y"]');
  });

  it('validateForm reports conversion problems once, not again as schema errors', () => {
    const schema = { type: 'object', required: ['n'], properties: { n: { type: 'number' } } };
    const f = normalizeSchema(schema);
    const fv = defaultFormValue(f);
    setText(fv, ['n'], 'ten');
    assert.deepEqual(validateForm(schema, f, fv).issues.map(formatIssue), ['n: must be a number']);
  });
});
