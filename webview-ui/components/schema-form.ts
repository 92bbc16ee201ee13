/**
 * <mcp-schema-form>: a form generated from a JSON Schema (an MCP tool's inputSchema, or an
 * elicitation's requestedSchema), with a JSON view of the whole value kept in sync both ways.
 *
 *   form.schema = tool.inputSchema;          // resets the form to the schema's defaults
 *   form.value = previousArguments;          // optional: pre-fill (JSON view if the form cannot show it)
 *   form.addEventListener('submit', (e) => run((e as CustomEvent<{ value: unknown }>).detail.value));
 *
 * Properties: `schema`, `value`, `submitLabel` (attribute submit-label), `disabled`, `jsonMode`
 * (attribute json-mode). Methods: `validate(): string[]`, `submit(): boolean`, `reset()`.
 * Events: `submit` (CustomEvent<{ value }>, bubbles, composed), fired only for a valid value, on the
 * submit button, on Enter in a text field, on Ctrl/Cmd+Enter anywhere, or on submit().
 * Slot `actions`: more buttons next to the submit button (e.g. Decline / Cancel for an elicitation).
 *
 * Everything shown comes from a server: labels and help texts go through Lit text bindings only,
 * capped in schema.ts. No inline styles (the webview CSP forbids them): looks come from `static styles`.
 */
import { themedHost, visuallyHidden } from './theme';
import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { live } from 'lit/directives/live.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeTextarea } from '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  defaultFormValue,
  formatIssue,
  formatPath,
  formValueFromJson,
  formValueToJson,
  normalizeSchema,
  own,
  validateForm,
  validateJson,
  type EnumField,
  type Field,
  type FormValue,
  type Issue,
  type Json,
  type PathSegment,
} from './schema';

export interface SchemaFormSubmitDetail {
  readonly value: Json | undefined;
}

type SelectOption = { label: string; value: string };

/** A DOM id for a value path: letters, digits, `-`, `_` and `.` only, and different paths never collide. */
export function fieldId(path: readonly PathSegment[]): string {
  return `f${path.map((seg) => (typeof seg === 'number' ? `.${seg}` : `-${seg.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`)).join('')}`;
}

const pathKey = (path: readonly PathSegment[]) => JSON.stringify(path);

export class McpSchemaForm extends LitElement {
  static override properties = {
    submitLabel: { attribute: 'submit-label' },
    disabled: { type: Boolean, reflect: true },
    jsonMode: { type: Boolean, attribute: 'json-mode' },
  };

  declare submitLabel: string;
  declare disabled: boolean;
  declare jsonMode: boolean;

  private _schema: unknown = undefined;
  private field: Field = normalizeSchema({ type: 'object' });
  private fv: FormValue = defaultFormValue(this.field);
  /** Messages per rendered field (by path key), shown under it. */
  private errors = new Map<string, string[]>();
  private summary: string[] = [];
  /** After a first submit attempt, errors are refreshed as the person types. */
  private attempted = false;
  private jsonText = '';
  private jsonEdited = false;
  private jsonParseError: string | undefined;
  private jsonMisfit: string | undefined;
  private jsonBlocked = false;
  /** After the next render: focus the first invalid control, or the control with this id. */
  private focusInvalid = false;
  private focusId: string | undefined;
  private optionCache = new WeakMap<EnumField, SelectOption[]>();

  constructor() {
    super();
    this.submitLabel = 'Submit';
    this.disabled = false;
    this.jsonMode = false;
    // A host that set schema/value before this element was defined left own properties that hide
    // the accessors: hand them to the accessors, schema first.
    const self = this as unknown as Record<string, unknown>;
    for (const key of ['schema', 'value']) {
      if (!Object.prototype.hasOwnProperty.call(this, key)) continue;
      const v = self[key];
      delete self[key];
      self[key] = v;
    }
  }

  /** The JSON Schema. Setting it resets the form to the schema's defaults. */
  get schema(): unknown {
    return this._schema;
  }
  set schema(schema: unknown) {
    const old = this._schema;
    this._schema = schema;
    this.field = normalizeSchema(schema === undefined ? { type: 'object' } : schema);
    this.resetState();
    this.requestUpdate('schema', old);
  }

  /** The JSON value: the form's (empty optional fields left out), or the JSON view's while it is shown (undefined if it does not parse). */
  get value(): Json | undefined {
    if (this.jsonMode) {
      try {
        return JSON.parse(this.jsonText) as Json;
      } catch {
        return undefined;
      }
    }
    return formValueToJson(this.field, this.fv).value;
  }
  set value(value: unknown) {
    const r = formValueFromJson(this.field, value);
    this.jsonText = stringify(value);
    this.jsonParseError = undefined;
    this.jsonBlocked = false;
    if (r.ok) {
      this.fv = r.value;
      this.jsonMisfit = undefined;
      this.jsonEdited = false;
    } else {
      // the form cannot show it: show it as JSON, as it is
      this.jsonMisfit = `${formatPath(r.path)}: ${r.reason}`;
      this.jsonEdited = true;
      this.jsonMode = true;
    }
    this.refreshErrors();
    this.requestUpdate();
  }

  /** Checks the value; shows and returns the problems, each naming the field's path (never its value). */
  validate(): string[] {
    this.attempted = true;
    return this.showIssues(this.collect().issues).map(formatIssue);
  }

  /** Validates, and fires `submit` with the value if it is valid. Returns whether it fired. */
  submit(): boolean {
    if (this.disabled) return false;
    const problems = this.validate();
    if (problems.length > 0) {
      this.focusInvalid = true;
      return false;
    }
    const detail: SchemaFormSubmitDetail = { value: this.collect().value };
    this.dispatchEvent(new CustomEvent<SchemaFormSubmitDetail>('submit', { detail, bubbles: true, composed: true }));
    return true;
  }

  /** Back to the schema's defaults, in the form view. */
  reset(): void {
    this.resetState();
    this.jsonMode = false;
    this.requestUpdate();
  }

  private resetState(): void {
    this.fv = defaultFormValue(this.field);
    if (this.field.kind === 'json' && own(this._schema ?? { type: 'object' }, 'type') === 'object' && this.fv.t === 'text' && this.fv.text === '') this.fv.text = '{}';
    this.errors = new Map();
    this.summary = [];
    this.attempted = false;
    this.jsonText = stringify(formValueToJson(this.field, this.fv).value ?? {});
    this.jsonEdited = false;
    this.jsonParseError = undefined;
    this.jsonMisfit = undefined;
    this.jsonBlocked = false;
  }

  private collect(): { value: Json | undefined; issues: Issue[] } {
    const schema = this._schema === undefined ? {} : this._schema;
    if (this.jsonMode) {
      let parsed: Json;
      try {
        parsed = JSON.parse(this.jsonText) as Json;
      } catch {
        return { value: undefined, issues: [{ path: [], message: 'is not valid JSON' }] };
      }
      return { value: parsed, issues: validateJson(schema, parsed) };
    }
    return validateForm(schema, this.field, this.fv);
  }

  /** Puts each issue under the deepest field shown for its path (a JSON field shows issues inside it). */
  private showIssues(issues: readonly Issue[]): Issue[] {
    const shown = new Set<string>();
    if (!this.jsonMode) collectPaths(this.field, this.fv, [], shown);
    const order = [...shown];
    const placed = issues.map((issue) => {
      let at = issue.path.length;
      while (at > 0 && !shown.has(pathKey(issue.path.slice(0, at)))) at--;
      return { issue, key: pathKey(issue.path.slice(0, at)), inner: issue.path.slice(at) };
    });
    // in the order the fields appear in the form (stable within a field)
    placed.sort((x, y) => order.indexOf(x.key) - order.indexOf(y.key));
    this.errors = new Map();
    for (const { issue, key, inner } of placed) {
      const message = inner.length > 0 ? `${formatPath(inner)}: ${issue.message}` : issue.message;
      this.errors.set(key, [...(this.errors.get(key) ?? []), message]);
    }
    const sorted = placed.map((p) => p.issue);
    this.summary = sorted.map(formatIssue);
    this.requestUpdate();
    return sorted;
  }

  private refreshErrors(): void {
    if (this.attempted) this.showIssues(this.collect().issues);
  }

  private edited(): void {
    this.refreshErrors();
    this.requestUpdate();
  }

  // -------------------------------------------------------------------------------------------
  // The JSON view.

  private toggleJson(): void {
    if (!this.jsonMode) {
      this.jsonText = stringify(formValueToJson(this.field, this.fv).value ?? {});
      this.jsonEdited = false;
      this.jsonParseError = undefined;
      this.jsonMisfit = undefined;
      this.jsonMode = true;
    } else if (this.jsonEdited && (this.jsonParseError !== undefined || this.jsonMisfit !== undefined)) {
      this.jsonBlocked = true; // the edits cannot be shown in the form: say so, offer to discard them
    } else {
      this.jsonMode = false;
      this.jsonBlocked = false;
    }
    this.refreshErrors();
    this.requestUpdate();
  }

  private discardJson(): void {
    this.jsonMode = false;
    this.jsonBlocked = false;
    this.jsonEdited = false;
    this.jsonParseError = undefined;
    this.jsonMisfit = undefined;
    this.refreshErrors();
    this.requestUpdate();
  }

  private onJsonInput(e: Event): void {
    this.jsonText = (e.currentTarget as VscodeTextarea).value;
    this.jsonEdited = true;
    this.jsonBlocked = false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.jsonText);
    } catch (err) {
      // The parser's message can quote the text (a secret, maybe): keep only the position.
      const at = /position (\d+)/.exec(err instanceof Error ? err.message : '');
      this.jsonParseError = `Not valid JSON${at ? ` (at character ${Number(at[1]) + 1})` : ''}. The form keeps its last valid state.`;
      this.edited();
      return;
    }
    this.jsonParseError = undefined;
    const r = formValueFromJson(this.field, parsed);
    if (r.ok) {
      this.fv = r.value;
      this.jsonMisfit = undefined;
    } else {
      this.jsonMisfit = `${formatPath(r.path)}: ${r.reason}`;
    }
    this.edited();
  }

  // -------------------------------------------------------------------------------------------
  // Rendering.

  static override styles = [
    themedHost,
    visuallyHidden,
    css`
      .bar {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-bottom: 8px;
      }
      .legend,
      .help,
      .note {
        color: var(--vscode-descriptionForeground);
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 4px;
        margin: 0 0 12px;
        min-width: 0;
      }
      .label,
      legend {
        font-weight: 600;
        overflow-wrap: anywhere;
      }
      .req,
      .error {
        color: var(--vscode-errorForeground);
      }
      .help {
        white-space: pre-line;
        overflow-wrap: anywhere;
      }
      vscode-textfield,
      vscode-textarea,
      vscode-single-select {
        width: 100%;
      }
      fieldset {
        border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent));
        border-radius: 4px;
        padding: 8px 12px;
        margin: 0 0 12px;
        min-width: 0;
      }
      fieldset.invalid {
        border-color: var(--vscode-inputValidation-errorBorder);
      }
      .check {
        display: flex;
        gap: 4px;
        align-items: center;
      }
      .options {
        display: flex;
        flex-direction: column;
        gap: 4px;
        max-height: 16em;
        overflow: auto;
      }
      .row {
        display: flex;
        gap: 8px;
        align-items: flex-start;
      }
      .row > .field,
      .row > fieldset {
        flex: 1;
        min-width: 0;
      }
      .summary {
        border: 1px solid var(--vscode-inputValidation-errorBorder);
        background: var(--vscode-inputValidation-errorBackground);
        padding: 4px 10px;
        margin: 8px 0;
      }
      .summary ul {
        margin: 4px 0;
        padding-left: 20px;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        margin-top: 8px;
      }
      pre {
        font-family: var(--vscode-editor-font-family, monospace);
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 4px 0;
      }
    `,
  ];

  protected override render(): TemplateResult {
    const anyRequired = this.field.kind === 'object' && hasRequired(this.field);
    return html`<div class="form" @keydown=${(e: KeyboardEvent) => this.onKeyDown(e)}>
      <div class="bar">
        <span class="legend">${anyRequired && !this.jsonMode ? html`Fields marked <span class="req">*</span> are required.` : nothing}</span>
        <vscode-button class="json-toggle" secondary aria-pressed=${this.jsonMode ? 'true' : 'false'} ?disabled=${this.disabled} @click=${() => this.toggleJson()}
          >${this.jsonMode ? 'Edit as form' : 'Edit as JSON'}</vscode-button
        >
      </div>
      ${this.jsonMode ? this.renderJsonView() : this.renderRootField()}
      ${
        this.summary.length > 0
          ? html`<div class="summary" role="alert">
              <div>${this.summary.length === 1 ? '1 problem to fix:' : `${this.summary.length} problems to fix:`}</div>
              <ul>
                ${this.summary.map((m) => html`<li>${m}</li>`)}
              </ul>
            </div>`
          : nothing
      }
      <div class="actions">
        <vscode-button class="submit" ?disabled=${this.disabled} @click=${() => void this.submit()}>${this.submitLabel}</vscode-button>
        <slot name="actions"></slot>
      </div>
    </div>`;
  }

  private renderRootField(): TemplateResult {
    if (this.field.kind === 'object' && this.fv.t === 'object') {
      const props = this.fv.props;
      const errs = this.errors.get(pathKey([])) ?? [];
      return html`${this.field.fields.map((child) => this.renderField(child, props.get(child.key) ?? defaultFormValue(child), [child.key]))}
      ${errs.length > 0 ? html`<div class="error" id="f-err">${errs.map((m) => html`<div>${m}</div>`)}</div>` : nothing}`;
    }
    return this.renderField(this.field, this.fv, []);
  }

  private renderJsonView(): TemplateResult {
    const problem = this.jsonParseError ?? (this.jsonMisfit !== undefined ? `The form cannot show this JSON (${this.jsonMisfit}); it is sent as written.` : undefined);
    const errs = this.errors.get(pathKey([])) ?? [];
    const describedBy = [problem !== undefined ? 'json-problem' : '', errs.length > 0 ? 'json-err' : '', this.jsonBlocked ? 'json-blocked' : ''].filter((s) => s !== '').join(' ');
    return html`<div class="field">
      <label class="label" for="json">The whole value as JSON</label>
      <vscode-textarea
        id="json"
        class="json-editor"
        monospace
        rows="12"
        resize="vertical"
        .label=${'The whole value as JSON'}
        .value=${live(this.jsonText)}
        ?disabled=${this.disabled}
        ?invalid=${this.jsonParseError !== undefined || errs.length > 0}
        aria-invalid=${this.jsonParseError !== undefined || errs.length > 0 ? 'true' : 'false'}
        aria-describedby=${ifDefined(describedBy || undefined)}
        @input=${(e: Event) => this.onJsonInput(e)}
      ></vscode-textarea>
      ${problem !== undefined ? html`<div id="json-problem" class=${this.jsonParseError !== undefined ? 'error' : 'note'}>${problem}</div>` : nothing}
      ${errs.length > 0 ? html`<div id="json-err" class="error">${errs.map((m) => html`<div>${m}</div>`)}</div>` : nothing}
      ${
        this.jsonBlocked
          ? html`<div id="json-blocked" class="error" role="alert">
              Fix the JSON to go back to the form, or discard your JSON edits.
              <vscode-button class="discard-json" secondary @click=${() => this.discardJson()}>Discard JSON edits</vscode-button>
            </div>`
          : nothing
      }
    </div>`;
  }

  private renderField(field: Field, fv: FormValue, path: PathSegment[], row?: { label: string }): TemplateResult {
    const id = fieldId(path);
    const errs = this.errors.get(pathKey(path)) ?? [];
    const label = row?.label ?? field.label;
    const required = field.required && row === undefined;
    const helpText = field.kind === 'json' ? [field.description, `Edited as JSON: ${field.reason}.`].filter((t) => t !== undefined).join('\n') : field.description;
    const helpId = helpText !== undefined ? `${id}-help` : undefined;
    const errId = errs.length > 0 ? `${id}-err` : undefined;
    const describedBy = [helpId, errId].filter((x) => x !== undefined).join(' ') || undefined;
    const invalid = errs.length > 0;
    const mark = required ? html`<span class="req" aria-hidden="true"> *</span>` : nothing;
    const groupMark = required ? html`<span class="req" aria-hidden="true"> *</span><span class="visually-hidden"> (required)</span>` : nothing;
    const labelEl = html`<label class="label" for=${id}>${label}${mark}</label>`;
    const help = helpText !== undefined ? html`<div class="help" id=${ifDefined(helpId)}>${helpText}</div>` : nothing;
    const error = errs.length > 0 ? html`<div class="error" id=${ifDefined(errId)}>${errs.map((m) => html`<div>${m}</div>`)}</div>` : nothing;

    switch (field.kind) {
      case 'string':
      case 'number':
      case 'json': {
        const text = fv.t === 'text' ? fv.text : '';
        const onInput = (e: Event) => {
          if (fv.t === 'text') fv.text = (e.currentTarget as VscodeTextfield | VscodeTextarea).value;
          this.edited();
        };
        const multiline = field.kind === 'json' || (field.kind === 'string' && field.multiline);
        const control = multiline
          ? html`<vscode-textarea
              id=${id}
              class="control"
              rows=${field.kind === 'json' ? 5 : 4}
              resize="vertical"
              ?monospace=${field.kind === 'json'}
              .label=${label}
              .value=${live(text)}
              ?disabled=${this.disabled}
              ?invalid=${invalid}
              aria-required=${required ? 'true' : 'false'}
              aria-invalid=${invalid ? 'true' : 'false'}
              aria-describedby=${ifDefined(describedBy)}
              @input=${onInput}
            ></vscode-textarea>`
          : html`<vscode-textfield
              id=${id}
              class="control"
              type=${inputType(field)}
              .label=${label}
              .value=${live(text)}
              placeholder=${ifDefined(field.kind === 'string' || field.kind === 'number' ? field.placeholder : undefined)}
              ?disabled=${this.disabled}
              ?invalid=${invalid}
              aria-required=${required ? 'true' : 'false'}
              aria-invalid=${invalid ? 'true' : 'false'}
              aria-describedby=${ifDefined(describedBy)}
              @input=${onInput}
            ></vscode-textfield>`;
        const schemaHint =
          field.kind === 'json' && field.schemaText !== undefined
            ? html`<details class="schema">
                <summary>Expected shape (JSON Schema)</summary>
                <pre>${field.schemaText}</pre>
              </details>`
            : nothing;
        return html`<div class="field" data-kind=${field.kind}>${labelEl}${control}${help}${schemaHint}${error}</div>`;
      }
      case 'boolean': {
        const v = fv.t === 'bool' ? fv.value : undefined;
        return html`<div class="field" data-kind="boolean">
          <div class="check">
            <vscode-checkbox
              id=${id}
              class="control"
              .label=${label}
              .checked=${live(v === true)}
              .indeterminate=${v === undefined}
              ?disabled=${this.disabled}
              ?invalid=${invalid}
              aria-required=${required ? 'true' : 'false'}
              aria-invalid=${invalid ? 'true' : 'false'}
              aria-describedby=${ifDefined(describedBy)}
              @change=${(e: Event) => {
                if (fv.t === 'bool') fv.value = (e.currentTarget as VscodeCheckbox).checked;
                this.edited();
              }}
            ></vscode-checkbox
            >${mark}
          </div>
          ${v === undefined && !required ? html`<div class="note">Not set: left out unless you tick or untick it.</div>` : nothing} ${help}${error}
        </div>`;
      }
      case 'enum': {
        const index = fv.t === 'enum' ? fv.index : -1;
        return html`<div class="field" data-kind="enum">
          ${labelEl}
          <vscode-single-select
            id=${id}
            class="control"
            .label=${label}
            .options=${this.selectOptions(field)}
            .value=${live(String(index))}
            ?disabled=${this.disabled}
            ?invalid=${invalid}
            aria-required=${required ? 'true' : 'false'}
            aria-invalid=${invalid ? 'true' : 'false'}
            aria-describedby=${ifDefined(describedBy)}
            @change=${(e: Event) => {
              const i = Number((e.currentTarget as VscodeSingleSelect).value);
              if (fv.t === 'enum') fv.index = Number.isInteger(i) && i >= 0 && i < field.options.length ? i : -1;
              this.edited();
            }}
          ></vscode-single-select>
          ${help}${error}
        </div>`;
      }
      case 'multi-enum': {
        const chosen = fv.t === 'multi' ? fv.indexes : [];
        return html`<fieldset class=${invalid ? 'group invalid' : 'group'} id=${id} data-kind="multi-enum" aria-describedby=${ifDefined(describedBy)}>
          <legend>${label}${groupMark}</legend>
          <div class="options">
            ${field.options.map(
              (o, i) =>
                html`<vscode-checkbox
                  class="option"
                  .label=${o.label}
                  .checked=${live(chosen.includes(i))}
                  ?disabled=${this.disabled}
                  aria-invalid=${invalid ? 'true' : 'false'}
                  @change=${(e: Event) => {
                    if (fv.t !== 'multi') return;
                    const on = (e.currentTarget as VscodeCheckbox).checked;
                    fv.indexes = on ? [...new Set([...fv.indexes, i])].sort((x, y) => x - y) : fv.indexes.filter((x) => x !== i);
                    this.edited();
                  }}
                ></vscode-checkbox>`,
            )}
          </div>
          ${help}${error}
        </fieldset>`;
      }
      case 'array': {
        const rows = fv.t === 'array' ? fv.rows : [];
        const full = field.maxItems !== undefined && rows.length >= field.maxItems;
        return html`<fieldset class=${invalid ? 'array invalid' : 'array'} id=${id} data-kind="array" aria-describedby=${ifDefined(describedBy)}>
          <legend>${label}${groupMark}</legend>
          ${help}
          ${rows.map((rowValue, i) => {
            const rowLabel = `${field.items.label} ${i + 1}`;
            return html`<div class="row">
              ${this.renderField(field.items, rowValue, [...path, i], { label: rowLabel })}
              <vscode-button
                class="remove"
                secondary
                aria-label=${`Remove ${rowLabel}`}
                ?disabled=${this.disabled}
                @click=${() => {
                  if (fv.t === 'array') fv.rows.splice(i, 1);
                  this.edited();
                }}
                >Remove</vscode-button
              >
            </div>`;
          })}
          <vscode-button
            class="add"
            secondary
            aria-label=${`Add to ${label}`}
            ?disabled=${this.disabled || full}
            @click=${() => {
              if (fv.t !== 'array') return;
              fv.rows.push(defaultFormValue(field.items));
              this.focusId = fieldId([...path, fv.rows.length - 1]);
              this.edited();
            }}
            >Add</vscode-button
          >
          ${error}
        </fieldset>`;
      }
      case 'object': {
        const props = fv.t === 'object' ? fv.props : new Map<string, FormValue>();
        return html`<fieldset class=${invalid ? 'object invalid' : 'object'} id=${id} data-kind="object" aria-describedby=${ifDefined(describedBy)}>
          <legend>${label}${groupMark}</legend>
          ${help} ${field.fields.map((child) => this.renderField(child, props.get(child.key) ?? defaultFormValue(child), [...path, child.key]))} ${error}
        </fieldset>`;
      }
    }
  }

  private selectOptions(field: EnumField): SelectOption[] {
    let options = this.optionCache.get(field);
    if (!options) {
      const none = field.required ? '— choose —' : '— none —';
      options = [{ label: none, value: '-1' }, ...field.options.map((o, i) => ({ label: o.label, value: String(i) }))];
      this.optionCache.set(field, options);
    }
    return options;
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.key !== 'Enter' || e.isComposing || this.disabled) return;
    // Enter in a one-line text field submits (not in a textarea or a select); Ctrl/Cmd+Enter anywhere.
    const inTextfield = e.composedPath().some((n) => n instanceof Element && n.localName === 'vscode-textfield');
    if (e.ctrlKey || e.metaKey || inTextfield) {
      e.preventDefault();
      this.submit();
    }
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    void this.afterRender();
  }

  /**
   * The vscode-elements controls keep their native <input>/<textarea> in their own shadow root, where
   * an aria-describedby on the host does not reach. Copy the state onto the inner control so a screen
   * reader hears "required", "invalid" and the help and error texts. Then move focus if asked.
   */
  private async afterRender(): Promise<void> {
    const root = this.renderRoot as ShadowRoot;
    for (const el of root.querySelectorAll<VscodeTextfield | VscodeTextarea>('vscode-textfield, vscode-textarea')) {
      await el.updateComplete;
      const inner = el.wrappedElement as HTMLElement | null | undefined;
      if (!inner) continue;
      const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter((s) => s !== '');
      const description = ids
        .map((x) => root.getElementById(x)?.textContent?.trim() ?? '')
        .filter((s) => s !== '')
        .join(' ');
      for (const attr of ['aria-required', 'aria-invalid'] as const) inner.setAttribute(attr, el.getAttribute(attr) ?? 'false');
      if (description !== '') inner.setAttribute('aria-description', description);
      else inner.removeAttribute('aria-description');
    }
    const [invalid, id] = [this.focusInvalid, this.focusId];
    this.focusInvalid = false;
    this.focusId = undefined;
    if (invalid) root.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    else if (id !== undefined) root.getElementById(id)?.focus();
  }
}

function inputType(field: Field): 'text' | 'email' | 'url' | 'date' | 'password' {
  if (field.kind !== 'string') return 'text';
  switch (field.format) {
    case 'email':
      return 'email';
    case 'uri':
      return 'url';
    case 'date':
      return 'date';
    case 'password':
      return 'password';
    default:
      return 'text'; // date-time too: RFC 3339 with a zone, which datetime-local cannot give
  }
}

function hasRequired(field: Field): boolean {
  return field.required || (field.kind === 'object' && field.fields.some(hasRequired));
}

/** The path keys of every field the form shows, so an issue can be shown under the nearest one. */
function collectPaths(field: Field, fv: FormValue, path: PathSegment[], out: Set<string>): void {
  out.add(pathKey(path));
  if (field.kind === 'object' && fv.t === 'object')
    for (const child of field.fields) collectPaths(child, fv.props.get(child.key) ?? defaultFormValue(child), [...path, child.key], out);
  if (field.kind === 'array' && fv.t === 'array') fv.rows.forEach((row, i) => collectPaths(field.items, row, [...path, i], out));
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch {
    return '';
  }
}

if (!customElements.get('mcp-schema-form')) customElements.define('mcp-schema-form', McpSchemaForm);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-schema-form': McpSchemaForm;
  }
}
