// The workbench components (<mcp-schema-form>, <mcp-tool-result>) rendered in happy-dom, asserted on
// their shadow DOM, plus the markdown subset they use. The components are loaded after happy-dom's
// window is installed as the global one, and by URL: the root tsconfig has no DOM library (the
// extension must not use browser globals), so webview-ui/tsconfig.json type-checks them instead.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Element as HappyElement, HTMLElement as HappyHTMLElement, ShadowRoot as HappyShadowRoot, Window as HappyWindow } from 'happy-dom' with {
  'resolution-mode': 'import',
};
import { parseInline, parseMarkdown } from '../../webview-ui/components/markdown';
import { cpuTimed } from '../work';

interface Lit extends HappyHTMLElement {
  updateComplete: Promise<boolean>;
}
interface SchemaForm extends Lit {
  schema: unknown;
  value: unknown;
  jsonMode: boolean;
  disabled: boolean;
  submitLabel: string;
  validate(): string[];
  submit(): boolean;
  reset(): void;
}
interface ToolResult extends Lit {
  result: unknown;
  outputSchema: unknown;
  maxChars: number;
}
/** What the tests touch on the vscode-elements controls. */
interface Control extends Lit {
  value: string;
  checked: boolean;
  indeterminate: boolean;
  label: string;
  wrappedElement?: HappyHTMLElement & { value: string };
}

const repo = join(__dirname, '..', '..');
let window: HappyWindow;

before(async () => {
  const { Window } = await import('happy-dom');
  window = new Window({ url: 'https://webview.test/' });
  // happy-dom has no ElementInternals. The vscode-elements controls call attachInternals() for form
  // association, which these components do not use (they validate themselves): a stand-in is enough.
  Object.defineProperty(window.HTMLElement.prototype, 'attachInternals', {
    configurable: true,
    value: () => ({
      form: null,
      labels: [],
      states: new Set(),
      validity: { valid: true },
      validationMessage: '',
      willValidate: false,
      setFormValue() {},
      setValidity() {},
      checkValidity: () => true,
      reportValidity: () => true,
    }),
  });
  const g = globalThis as unknown as Record<string, unknown>;
  const w = window as unknown as Record<string, unknown>;
  // prettier-ignore
  for (const key of [
    'document', 'customElements', 'HTMLElement', 'Element', 'Node', 'Text', 'Comment', 'Document', 'DocumentFragment', 'ShadowRoot',
    'CSSStyleSheet', 'Event', 'CustomEvent', 'EventTarget', 'KeyboardEvent', 'MouseEvent', 'InputEvent', 'FocusEvent',
    'MutationObserver', 'ResizeObserver', 'TreeWalker', 'NodeFilter', 'HTMLSlotElement', 'HTMLInputElement',
    'requestAnimationFrame', 'cancelAnimationFrame', 'getComputedStyle',
  ]) {
    g[key] = typeof w[key] === 'function' && /^[a-z]/.test(key) ? (w[key] as (...a: unknown[]) => unknown).bind(window) : w[key];
  }
  g.window = window;
  Object.defineProperty(globalThis, 'navigator', { configurable: true, value: window.navigator });
  for (const file of ['webview-ui/components/schema-form.ts', 'webview-ui/components/tool-result.ts']) await import(pathToFileURL(join(repo, file)).href);
});

after(async () => {
  await window.happyDOM.close();
});

async function settle(el: Lit): Promise<void> {
  await el.updateComplete;
  await new Promise((r) => setTimeout(r, 0));
  await el.updateComplete;
}

async function mountForm(schema: unknown): Promise<SchemaForm> {
  const el = window.document.createElement('mcp-schema-form') as unknown as SchemaForm;
  el.schema = schema;
  window.document.body.appendChild(el);
  await settle(el);
  return el;
}

async function mountResult(result: unknown, outputSchema?: unknown, maxChars?: number): Promise<ToolResult> {
  const el = window.document.createElement('mcp-tool-result') as unknown as ToolResult;
  el.outputSchema = outputSchema;
  if (maxChars !== undefined) el.maxChars = maxChars;
  el.result = result;
  window.document.body.appendChild(el);
  await settle(el);
  return el;
}

const shadow = (el: Lit): HappyShadowRoot => {
  assert.ok(el.shadowRoot, 'rendered into a shadow root');
  return el.shadowRoot;
};
const $ = (el: Lit, selector: string) => shadow(el).querySelector(selector);
const $$ = (el: Lit, selector: string) => [...shadow(el).querySelectorAll(selector)];
const byId = (el: Lit, id: string): Control => {
  const found = shadow(el).getElementById(id);
  assert.ok(found, `#${id} is rendered`);
  return found as unknown as Control;
};
const text = (node: HappyElement | null | undefined) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Types into a vscode-textfield/-textarea the way a person does: into its inner control. */
async function typeInto(form: SchemaForm, id: string, value: string): Promise<void> {
  const control = byId(form, id);
  await control.updateComplete;
  const inner = control.wrappedElement;
  if (inner) {
    inner.value = value;
    inner.dispatchEvent(new window.Event('input', { bubbles: true, composed: true }));
  } else {
    control.value = value;
    control.dispatchEvent(new window.Event('input', { bubbles: true, composed: true }));
  }
  await settle(form);
}

async function click(host: Lit, target: HappyElement | null | undefined): Promise<void> {
  assert.ok(target, 'the element to click exists');
  (target as HappyHTMLElement).click();
  await settle(host);
}

function submits(form: SchemaForm): unknown[] {
  const values: unknown[] = [];
  form.addEventListener('submit', (e) => values.push((e as unknown as CustomEvent<{ value: unknown }>).detail.value));
  return values;
}

const signup = {
  type: 'object',
  required: ['name', 'plan'],
  properties: {
    name: { type: 'string', title: 'Your name', description: 'As you like to be called' },
    email: { type: 'string', format: 'email' },
    age: { type: 'integer', minimum: 0 },
    plan: {
      type: 'string',
      title: 'Plan',
      oneOf: [
        { const: 'free', title: 'Free' },
        { const: 'pro', title: 'Pro' },
      ],
    },
    news: { type: 'boolean', title: 'Newsletter' },
    topics: { type: 'array', title: 'Topics', items: { type: 'string', enum: ['mcp', 'ai', 'vscode'] } },
  },
};

describe('<mcp-schema-form>', () => {
  it('labels every control (title, else the property name) and puts help text under it', async () => {
    const form = await mountForm(signup);
    const name = byId(form, 'f-name');
    assert.equal(name.localName, 'vscode-textfield');
    assert.equal(name.label, 'Your name', 'the inner input gets the label as its accessible name');
    assert.equal(text($(form, 'label[for="f-name"]')), 'Your name *');
    assert.equal(text($(form, 'label[for="f-email"]')), 'email');
    assert.equal(text(shadow(form).getElementById('f-name-help')), 'As you like to be called');
    assert.match(name.getAttribute('aria-describedby') ?? '', /\bf-name-help\b/);
    assert.equal(byId(form, 'f-plan').localName, 'vscode-single-select');
    assert.equal(byId(form, 'f-plan').label, 'Plan');
    assert.equal(byId(form, 'f-news').localName, 'vscode-checkbox');
    assert.equal(byId(form, 'f-news').label, 'Newsletter');
    assert.equal(text($(form, '#f-topics legend')), 'Topics');
    assert.equal($$(form, '#f-topics vscode-checkbox').length, 3);
    // every form control has a label of some kind
    for (const control of $$(form, 'vscode-textfield, vscode-textarea, vscode-single-select')) {
      assert.ok($(form, `label[for="${control.id}"]`), `label for ${control.id}`);
    }
  });

  it('marks required fields visibly and with aria-required', async () => {
    const form = await mountForm(signup);
    assert.equal(byId(form, 'f-name').getAttribute('aria-required'), 'true');
    assert.equal(byId(form, 'f-plan').getAttribute('aria-required'), 'true');
    assert.equal(byId(form, 'f-email').getAttribute('aria-required'), 'false');
    assert.ok($(form, 'label[for="f-name"] .req'), 'a visible marker');
    assert.equal($(form, 'label[for="f-email"] .req'), null);
    assert.match(text($(form, '.legend')), /Fields marked \* are required/);
    await byId(form, 'f-name').updateComplete;
    assert.equal(byId(form, 'f-name').wrappedElement?.getAttribute('aria-required'), 'true', 'copied onto the inner input');
  });

  it('shows an invalid field with aria-invalid, a described message and a summary, and does not submit', async () => {
    const form = await mountForm(signup);
    const sent = submits(form);
    await typeInto(form, 'f-email', 'nope');
    assert.equal(form.submit(), false);
    await settle(form);
    assert.deepEqual(sent, []);
    const name = byId(form, 'f-name');
    assert.equal(name.getAttribute('aria-invalid'), 'true');
    assert.match(name.getAttribute('aria-describedby') ?? '', /\bf-name-err\b/);
    assert.equal(text(shadow(form).getElementById('f-name-err')), 'is required');
    assert.equal(text(shadow(form).getElementById('f-email-err')), 'must be an email address');
    assert.equal(byId(form, 'f-age').getAttribute('aria-invalid'), 'false');
    const summary = $(form, '.summary');
    assert.equal(summary?.getAttribute('role'), 'alert');
    assert.deepEqual([...(summary?.querySelectorAll('li') ?? [])].map(text), ['name: is required', 'email: must be an email address', 'plan: is required']);
    assert.equal(name.wrappedElement?.getAttribute('aria-invalid'), 'true');
    assert.match(name.wrappedElement?.getAttribute('aria-description') ?? '', /is required/);
  });

  it('submits only a valid value, with empty optional fields left out', async () => {
    const form = await mountForm(signup);
    const sent = submits(form);
    await typeInto(form, 'f-name', 'Ann');
    const plan = byId(form, 'f-plan');
    plan.value = '1';
    plan.dispatchEvent(new window.Event('change'));
    const topic = $$(form, '#f-topics vscode-checkbox')[2] as unknown as Control;
    topic.checked = true;
    topic.dispatchEvent(new window.Event('change'));
    await settle(form);
    assert.deepEqual(form.validate(), []);
    assert.equal(form.submit(), true);
    assert.deepEqual(sent, [{ name: 'Ann', plan: 'pro', topics: ['vscode'] }]);
    // an untouched optional checkbox is shown as "not set" and left out; ticking it sends it
    const news = byId(form, 'f-news');
    assert.equal(news.indeterminate, true);
    news.checked = false;
    news.dispatchEvent(new window.Event('change'));
    await settle(form);
    assert.deepEqual(form.value, { name: 'Ann', plan: 'pro', news: false, topics: ['vscode'] });
  });

  it('submits on Enter in a text field, and clears errors as they are fixed', async () => {
    const form = await mountForm({ type: 'object', required: ['q'], properties: { q: { type: 'string', minLength: 2 } } });
    const sent = submits(form);
    const enter = () => {
      const input = byId(form, 'f-q').wrappedElement;
      assert.ok(input);
      input.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    };
    await typeInto(form, 'f-q', 'a');
    enter();
    await settle(form);
    assert.deepEqual(sent, []);
    assert.equal(text(shadow(form).getElementById('f-q-err')), 'must be at least 2 characters');
    await typeInto(form, 'f-q', 'ab');
    assert.equal(shadow(form).getElementById('f-q-err'), null, 'the message goes once the field is fixed');
    enter();
    await settle(form);
    assert.deepEqual(sent, [{ q: 'ab' }]);
  });

  it('keeps the JSON view and the form in sync both ways', async () => {
    const form = await mountForm(signup);
    await typeInto(form, 'f-name', 'Ann');
    const toggle = $(form, '.json-toggle');
    await click(form, toggle);
    assert.equal(form.jsonMode, true);
    assert.equal(toggle?.getAttribute('aria-pressed'), 'true');
    const editor = byId(form, 'json');
    assert.equal(editor.localName, 'vscode-textarea');
    assert.deepEqual(JSON.parse(editor.value), { name: 'Ann' });
    // JSON that parses and fits updates the form
    await typeInto(form, 'json', JSON.stringify({ name: 'Bo', age: 7, plan: 'free' }));
    await click(form, toggle);
    assert.equal(form.jsonMode, false);
    assert.equal(byId(form, 'f-name').value, 'Bo');
    assert.equal(byId(form, 'f-age').value, '7');
    assert.equal(byId(form, 'f-plan').value, '0');
    assert.deepEqual(form.value, { name: 'Bo', age: 7, plan: 'free' });
  });

  it('shows a JSON parse error inline without losing the form state', async () => {
    const form = await mountForm(signup);
    await typeInto(form, 'f-name', 'Ann');
    await click(form, $(form, '.json-toggle'));
    await typeInto(form, 'json', '{"name": "secret-value",');
    const problem = shadow(form).getElementById('json-problem');
    assert.match(text(problem), /^Not valid JSON/);
    assert.ok(!text(problem).includes('secret-value'), 'the parser message is not echoed');
    assert.equal(byId(form, 'json').getAttribute('aria-invalid'), 'true');
    assert.equal(form.value, undefined);
    assert.deepEqual(form.validate(), ['value: is not valid JSON']);
    // going back is refused until the JSON is fixed or the edits are discarded
    await click(form, $(form, '.json-toggle'));
    assert.equal(form.jsonMode, true);
    assert.match(text(shadow(form).getElementById('json-blocked')), /Fix the JSON/);
    await click(form, $(form, '.discard-json'));
    assert.equal(form.jsonMode, false);
    assert.equal(byId(form, 'f-name').value, 'Ann', 'the form kept its state');
  });

  it('sends JSON the form cannot show as written, and says so', async () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const form = await mountForm(schema);
    const sent = submits(form);
    await click(form, $(form, '.json-toggle'));
    await typeInto(form, 'json', '{"a": "x", "b": 1}');
    assert.match(text(shadow(form).getElementById('json-problem')), /cannot show this JSON \(b: the form has no field for it\)/);
    assert.equal(form.submit(), true);
    assert.deepEqual(sent, [{ a: 'x', b: 1 }]);
  });

  it('adds and removes array rows', async () => {
    const form = await mountForm({ type: 'object', properties: { tags: { type: 'array', title: 'Tags', items: { type: 'string' }, maxItems: 2 } } });
    const add = $(form, '#f-tags .add');
    await click(form, add);
    await click(form, add);
    assert.equal(add?.hasAttribute('disabled'), true, 'maxItems reached');
    assert.equal(text($(form, 'label[for="f-tags.0"]')), 'Tags 1');
    await typeInto(form, 'f-tags.0', 'x');
    await typeInto(form, 'f-tags.1', 'y');
    assert.deepEqual(form.value, { tags: ['x', 'y'] });
    const remove = $$(form, '#f-tags .remove');
    assert.equal(remove[0].getAttribute('aria-label'), 'Remove Tags 1');
    await click(form, remove[0]);
    assert.deepEqual(form.value, { tags: ['y'] });
  });

  it('renders nested objects as fieldsets and edits the inexpressible as JSON', async () => {
    const schema = {
      type: 'object',
      properties: {
        addr: { type: 'object', title: 'Address', properties: { city: { type: 'string' } } },
        meta: { type: 'object', title: 'Metadata', additionalProperties: { type: 'number' } },
      },
    };
    const form = await mountForm(schema);
    assert.equal($(form, '#f-addr')?.localName, 'fieldset');
    assert.equal(text($(form, '#f-addr legend')), 'Address');
    assert.ok(byId(form, 'f-addr-city'));
    const meta = byId(form, 'f-meta');
    assert.equal(meta.localName, 'vscode-textarea');
    assert.match(text(shadow(form).getElementById('f-meta-help')), /Edited as JSON: it is a map of names to values/);
    await typeInto(form, 'f-meta', '{"a": "one"}');
    assert.deepEqual(form.validate(), ['meta.a: must be a number']);
    await settle(form);
    assert.equal(text(shadow(form).getElementById('f-meta-err')), 'a: must be a number', 'shown under the JSON field');
    await typeInto(form, 'f-meta', '{"a": 1}');
    await typeInto(form, 'f-addr-city', 'Oslo');
    assert.deepEqual(form.validate(), []);
    assert.deepEqual(form.value, { addr: { city: 'Oslo' }, meta: { a: 1 } });
  });

  it('shows server text as text only, capped, and uses no inline styles', async () => {
    const form = await mountForm({
      type: 'object',
      properties: {
        x: { type: 'string', title: '<img src=x onerror=alert(1)>', description: '<script>alert(1)</script>' + 'd'.repeat(5000) },
        y: { type: 'string', title: 'T'.repeat(1000) },
      },
    });
    assert.equal($$(form, 'img, script').length, 0);
    assert.equal(text($(form, 'label[for="f-x"]')), '<img src=x onerror=alert(1)>');
    assert.ok(text(shadow(form).getElementById('f-x-help')).startsWith('<script>alert(1)</script>'));
    assert.equal(text(shadow(form).getElementById('f-x-help')).length, 2000);
    assert.equal(text($(form, 'label[for="f-y"]')).length, 200);
    assert.equal($$(form, '[style]').length, 0);
  });

  it('without a schema, edits any object as JSON', async () => {
    const form = await mountForm(undefined);
    const sent = submits(form);
    assert.equal(byId(form, 'f').localName, 'vscode-textarea');
    assert.equal(byId(form, 'f').value, '{}');
    assert.equal(form.submit(), true);
    assert.deepEqual(sent, [{}]);
  });

  it('does not break on a schema pattern that does not compile', async () => {
    const form = await mountForm({ type: 'object', properties: { p: { type: 'string', pattern: '(((' } } });
    const sent = submits(form);
    await typeInto(form, 'f-p', 'anything');
    assert.equal(form.submit(), true);
    assert.deepEqual(sent, [{ p: 'anything' }]);
  });

  it('never names a typed secret in its messages', async () => {
    const form = await mountForm({ type: 'object', properties: { token: { type: 'string', format: 'password', pattern: '^tok_' } } });
    assert.equal(byId(form, 'f-token').getAttribute('type'), 'password');
    await typeInto(form, 'f-token', 'hunter2');
    const problems = form.validate();
    assert.deepEqual(problems, ['token: must match the pattern ^tok_']);
    await settle(form);
    assert.ok(!text($(form, '.summary')).includes('hunter2'));
  });

  it('takes a value from the host, resets, and disables', async () => {
    const form = await mountForm(signup);
    form.value = { name: 'Cy', plan: 'pro' };
    await settle(form);
    assert.equal(byId(form, 'f-name').value, 'Cy');
    form.value = { name: 'Cy', unknown: true };
    await settle(form);
    assert.equal(form.jsonMode, true, 'a value the form cannot show opens the JSON view');
    form.reset();
    await settle(form);
    assert.equal(form.jsonMode, false);
    assert.equal(byId(form, 'f-name').value, '');
    form.submitLabel = 'Accept';
    await settle(form);
    assert.equal(text($(form, '.submit')), 'Accept');
    assert.ok($(form, '.actions slot[name="actions"]'), "room for the host's Decline / Cancel");
    const sent = submits(form);
    form.disabled = true;
    await settle(form);
    assert.equal(form.submit(), false);
    assert.equal($(form, '.submit')?.hasAttribute('disabled'), true);
    assert.deepEqual(sent, []);
  });
});

describe('<mcp-tool-result>', () => {
  it('renders marked markdown safely: no elements from <script> or <img onerror>, links as intents', async () => {
    const md = [
      '# Report',
      '<script>alert(1)</script>',
      '',
      '<img src=x onerror="alert(1)"> **bold** and `code` and [docs](https://example.com/docs) and [bad](javascript:alert(1))',
      '',
      '- one',
      '- two',
      '',
      '```',
      '<b>not bold</b>',
      '```',
    ].join('\n');
    const view = await mountResult({ content: [{ type: 'text', text: md, annotations: { mimeType: 'text/markdown' } }] });
    assert.equal($$(view, 'script, img, b').length, 0);
    assert.equal($(view, '.md-h1')?.getAttribute('role'), 'heading');
    assert.equal(text($(view, '.md-h1')), 'Report');
    assert.match(text($(view, '.md')), /<script>alert\(1\)<\/script>/);
    assert.match(text($(view, '.md')), /<img src=x onerror="alert\(1\)">/);
    assert.equal(text($(view, 'strong')), 'bold');
    assert.equal(text($(view, 'p code')), 'code');
    assert.equal($$(view, 'ul li').length, 2);
    assert.equal(text($(view, 'pre.md-code')), '<b>not bold</b>');
    assert.equal($$(view, 'a').length, 0, 'nothing navigates');
    const links = $$(view, 'button.link');
    assert.equal(links.length, 1);
    assert.equal(text(links[0]), 'docs');
    assert.match(text($(view, '.md')), /docs \(https:\/\/example\.com\/docs\)/);
    assert.match(text($(view, '.md')), /bad \(javascript:alert\(1\)\)/);
    const opened: unknown[] = [];
    view.addEventListener('open-link', (e) => opened.push((e as unknown as CustomEvent).detail));
    await click(view, links[0]);
    assert.deepEqual(opened, [{ url: 'https://example.com/docs' }]);
  });

  it('shows unmarked text as plain preformatted text', async () => {
    const view = await mountResult({ content: [{ type: 'text', text: '# not a heading **x**\n<i>y</i>' }] });
    assert.equal(text($(view, 'pre.text')), '# not a heading **x** <i>y</i>');
    assert.equal($$(view, '.md, strong, i').length, 0);
  });

  it('shows images only for PNG, JPEG, GIF and WebP, as data URLs', async () => {
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==';
    const view = await mountResult({
      content: [
        { type: 'image', mimeType: 'image/png', data: png },
        { type: 'image', mimeType: 'image/webp', data: 'UklGRg==' },
        { type: 'image', mimeType: 'image/svg+xml', data: 'PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+' },
        { type: 'image', mimeType: 'image/png', data: 'not base64 "><script>' },
        { type: 'image', mimeType: 'text/html', data: 'PGI+' },
      ],
    });
    const imgs = $$(view, 'img');
    assert.deepEqual(
      imgs.map((i) => i.getAttribute('src')),
      [`data:image/png;base64,${png}`, 'data:image/webp;base64,UklGRg=='],
    );
    assert.match(imgs[0].getAttribute('alt') ?? '', /^Image \(image\/png, \d+ bytes\)$/);
    assert.deepEqual($$(view, '.media-note').map(text), [
      'Image of type image/svg+xml, 21 bytes (not shown)',
      'Image of type image/png, 14 bytes (not shown)',
      'Image of type text/html, 3 bytes (not shown)',
    ]);
  });

  it('plays audio/* as a data URL and nothing else', async () => {
    const view = await mountResult({
      content: [
        { type: 'audio', mimeType: 'audio/wav', data: 'UklGRiQAAABXQVZF' },
        { type: 'audio', mimeType: 'video/mp4', data: 'AAAA' },
      ],
    });
    const audio = $$(view, 'audio');
    assert.equal(audio.length, 1);
    assert.equal(audio[0].getAttribute('src'), 'data:audio/wav;base64,UklGRiQAAABXQVZF');
    assert.ok(audio[0].hasAttribute('controls'));
    assert.match(text($(view, '.media-note')), /^Audio of type video\/mp4/);
  });

  it('shows resource links and embedded resources, with an Open button that posts the uri', async () => {
    const view = await mountResult({
      content: [
        { type: 'resource_link', uri: 'file:///tmp/report.md', name: 'report.md', description: 'The report', mimeType: 'text/markdown', size: 2048 },
        { type: 'resource', resource: { uri: 'mem://note', mimeType: 'text/markdown', text: '## Note\n*hi*' } },
        { type: 'resource', resource: { uri: 'mem://bin', mimeType: 'application/zip', blob: 'UEsDBA==' } },
      ],
    });
    const link = $(view, '.resource-link');
    assert.equal(text(link?.querySelector('.name')), 'report.md');
    assert.equal(text(link?.querySelector('.url')), 'file:///tmp/report.md');
    assert.equal(text(link?.querySelector('.description')), 'The report');
    assert.equal(text(link?.querySelector('.meta')), 'text/markdown, 2.0 KB');
    const embedded = $$(view, '.embedded');
    assert.equal(text(embedded[0].querySelector('.md-h2')), 'Note');
    assert.equal(text(embedded[0].querySelector('em')), 'hi');
    assert.equal(text(embedded[1].querySelector('.media-note')), 'Binary resource of type application/zip, 4 bytes');
    const opened: unknown[] = [];
    view.addEventListener('open-resource', (e) => opened.push((e as unknown as CustomEvent).detail));
    await click(view, link?.querySelector('.open-resource') ?? null);
    assert.deepEqual(opened, [{ uri: 'file:///tmp/report.md' }]);
  });

  it('shows unknown content types as JSON', async () => {
    const view = await mountResult({ content: [{ type: 'hologram', frames: 3 }] });
    assert.match(text($(view, '.unknown .note')), /Content of type "hologram"/);
    assert.deepEqual(JSON.parse($(view, '.unknown pre')?.textContent ?? ''), { type: 'hologram', frames: 3 });
  });

  it('shows an error result as an alert', async () => {
    const view = await mountResult({ isError: true, content: [{ type: 'text', text: 'Rate limited' }] });
    const box = $(view, '.result');
    assert.equal(box?.getAttribute('role'), 'alert');
    assert.ok(box?.classList.contains('error'));
    assert.match(text(box), /The tool reported an error Copy as JSON Rate limited/);
    const ok = await mountResult({ content: [{ type: 'text', text: 'fine' }] });
    assert.equal($(ok, '.result')?.getAttribute('role'), null);
  });

  it('checks structuredContent against the outputSchema with the form validator', async () => {
    const outputSchema = { type: 'object', required: ['temp'], properties: { temp: { type: 'number' }, unit: { enum: ['C', 'F'] } } };
    const bad = await mountResult({ content: [], structuredContent: { temp: 'warm', unit: 'K' } }, outputSchema);
    assert.equal(text($(bad, '.warning')), "structuredContent does not match the tool's outputSchema: temp: must be a number; unit: must be one of: C, F");
    const good = await mountResult({ content: [], structuredContent: { temp: 21, unit: 'C' } }, outputSchema);
    assert.equal($(good, '.warning'), null);
    const missing = await mountResult({ content: [{ type: 'text', text: '21' }] }, outputSchema);
    assert.match(text($(missing, '.warning')), /declares an outputSchema but returned no structuredContent/);
  });

  it('shows structuredContent as a collapsible tree with "show more" for long arrays and strings', async () => {
    const view = await mountResult({
      content: [],
      structuredContent: { name: '<b>x</b>', n: 3, ok: true, none: null, list: Array.from({ length: 250 }, (_, i) => i), long: 'y'.repeat(1000) },
    });
    const rootNode = $(view, '.tree > li > details');
    assert.ok(rootNode?.hasAttribute('open'));
    assert.equal($$(view, 'b').length, 0);
    const leaves = $$(view, '.tree > li > details > ul > li > .leaf').map(text);
    assert.deepEqual(leaves.slice(0, 4), ['"name": "<b>x</b>"', '"n": 3', '"ok": true', '"none": null']);
    assert.match(leaves[4], /^"long": "y{300}… Show more \(700 more characters\)$/);
    // open the list: its children render only now, 100 at a time
    const list = $$(view, 'details.node').find((d) => text(d.querySelector('summary')) === '"list": [250 items]') as unknown as HappyHTMLElement & { open: boolean };
    assert.ok(list);
    assert.equal(list.querySelectorAll('li').length, 0, 'a closed node renders no children');
    list.open = true;
    list.dispatchEvent(new window.Event('toggle'));
    await settle(view);
    assert.equal(list.querySelectorAll(':scope > ul > li').length, 100);
    await click(view, list.querySelector(':scope > .more'));
    assert.equal(list.querySelectorAll(':scope > ul > li').length, 250);
    const longLeaf = $$(view, '.leaf').find((l) => text(l).startsWith('"long"'));
    await click(view, longLeaf?.querySelector('.more') ?? null);
    assert.equal(text(longLeaf?.querySelector('.value')), JSON.stringify('y'.repeat(1000)));
  });

  it('fires copy with the whole result as JSON', async () => {
    const result = { content: [{ type: 'text', text: 'a'.repeat(50) }], structuredContent: { k: [1, 2] }, isError: false };
    const view = await mountResult(result, undefined, 10);
    const copies: unknown[] = [];
    view.addEventListener('copy', (e) => copies.push((e as unknown as CustomEvent<{ json: string }>).detail.json));
    await click(view, $(view, '.copy'));
    assert.equal(copies.length, 1);
    assert.deepEqual(JSON.parse(copies[0] as string), result, 'all of it, whatever the view shows');
  });

  it('caps the text it renders and says so', async () => {
    const view = await mountResult(
      {
        content: [
          { type: 'text', text: 'x'.repeat(5000) },
          { type: 'text', text: 'never shown' },
        ],
      },
      undefined,
      1000,
    );
    assert.equal($(view, 'pre.text')?.textContent?.length, 1000);
    assert.ok(!text($(view, '.result')).includes('never shown'));
    assert.match(text($(view, '.truncated')), /Output truncated: 4,011 more characters are not shown \(this view shows at most 1,000\)/);
    assert.equal($$(view, '[style]').length, 0);
  });

  it('shows something that is not a tool result as JSON', async () => {
    const view = await mountResult('oops');
    assert.match(text($(view, '.result')), /Not a tool result:\s*"oops"/);
  });
});

describe('markdown subset', () => {
  it('parses headings, paragraphs, emphasis, code, lists, quotes and rules', () => {
    const blocks = parseMarkdown('## Title\n\nSome *em*, __strong__ and `x`.\n\n1. a\n2. b\n   - nested\n\n> quoted\n\n---\n\n```ts\nlet a = 1;\n```');
    assert.deepEqual(
      blocks.map((b) => b.t),
      ['heading', 'paragraph', 'list', 'quote', 'rule', 'code'],
    );
    assert.deepEqual(blocks[0], { t: 'heading', level: 2, children: [{ t: 'text', text: 'Title' }] });
    assert.deepEqual(blocks[1], {
      t: 'paragraph',
      children: [
        { t: 'text', text: 'Some ' },
        { t: 'em', children: [{ t: 'text', text: 'em' }] },
        { t: 'text', text: ', ' },
        { t: 'strong', children: [{ t: 'text', text: 'strong' }] },
        { t: 'text', text: ' and ' },
        { t: 'code', text: 'x' },
        { t: 'text', text: '.' },
      ],
    });
    const list = blocks[2];
    assert.ok(list.t === 'list' && list.ordered && list.items.length === 2);
    assert.ok(list.t === 'list' && list.items[1].some((b) => b.t === 'list'), 'the nested list stays in its item');
    assert.deepEqual(blocks[5], { t: 'code', lang: 'ts', text: 'let a = 1;' });
  });

  it('keeps snake_case words, escapes and unmatched markers as text, and finds links', () => {
    assert.deepEqual(parseInline('a_b_c \\*not em\\* 2 * 3'), [{ t: 'text', text: 'a_b_c *not em* 2 * 3' }]);
    assert.deepEqual(parseInline('see https://example.com/a_(b).'), [
      { t: 'text', text: 'see ' },
      { t: 'link', url: 'https://example.com/a_(b)', children: [{ t: 'text', text: 'https://example.com/a_(b)' }] },
      { t: 'text', text: '.' },
    ]);
    assert.deepEqual(parseInline('![alt](https://tracker.example/p.gif)'), [{ t: 'image', url: 'https://tracker.example/p.gif', alt: 'alt' }]);
  });

  it('does bounded work on hostile input', () => {
    const { ms } = cpuTimed(() => {
      parseInline('*a'.repeat(50_000));
      parseInline('['.repeat(100_000));
      parseInline('`a'.repeat(50_000));
      parseMarkdown('> '.repeat(1000) + 'deep');
      parseMarkdown('- a\n'.repeat(20_000));
    });
    assert.ok(ms < 5000, `took ${ms} ms of CPU`);
  });
});
