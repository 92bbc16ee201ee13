/**
 * A server's prompts and resource templates, filled in VS Code's own quick input (as VS Code's MCP
 * support fills prompt arguments): each argument or template variable in turn, with the server's
 * suggestions (completion/complete) as the person types, and free text always allowed. A prompt's
 * messages open in a read-only Markdown document, with Copy; a filled template is read like any
 * resource.
 */
import * as vscode from 'vscode';
import { UriTemplate, type GetPromptResult, type PromptReference, type ResourceTemplateReference } from '@modelcontextprotocol/client';
import type { McpHub } from '../../core/hub';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { nameLabel } from './untrusted';

export const PROMPT_SCHEME = 'mcp-hub-prompt';
const SUGGEST_DEBOUNCE_MS = 150;

export class PromptsAndTemplates implements vscode.TextDocumentContentProvider, vscode.Disposable {
  /** The rendered messages of prompts opened in this window, by document path. */
  private readonly documents = new Map<string, string>();
  private readonly registration: vscode.Disposable;
  private counter = 0;

  constructor(
    private readonly hub: McpHub,
    private readonly logger: Logger,
    private readonly openResource: (server: string, uri: string) => Promise<void>,
  ) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(PROMPT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.documents.get(uri.path) ?? '';
  }

  /** Fills the prompt's arguments, then shows its messages. */
  async openPrompt(server: string, name: string): Promise<void> {
    const s = this.hub.server(server);
    const prompt = s?.state.kind === 'running' ? s.state.prompts.find((p) => p.name === name) : undefined;
    if (!prompt) return;
    const ref: PromptReference = { type: 'ref/prompt', name };
    const args: Record<string, string> = {};
    for (const arg of prompt.arguments ?? []) {
      const value = await this.ask(server, ref, arg.name, arg.description, arg.required === true, args);
      if (value === undefined) return;
      if (value !== '') args[arg.name] = value;
    }
    try {
      const result = await this.hub.use(server, (client) => client.getPrompt({ name, arguments: args }));
      await this.show(server, prompt.title ?? name, result);
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: the prompt of "${scrubber.message(server)}" failed: ${scrubber.message(error)}`);
    }
  }

  /** Picks one of the server's resource templates, fills its variables, then reads the resource. */
  async openTemplate(server: string): Promise<void> {
    let templates;
    try {
      templates = (await this.hub.use(server, (client) => client.listResourceTemplates())).resourceTemplates;
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: could not list the resource templates of "${scrubber.message(server)}": ${scrubber.message(error)}`);
      return;
    }
    if (templates.length === 0) {
      void vscode.window.showInformationMessage(`MCP Hub: "${scrubber.message(server)}" has no resource templates.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      templates.map((t) => ({
        label: scrubber.message(t.title ?? t.name),
        description: scrubber.message(t.uriTemplate),
        detail: t.description ? scrubber.message(t.description) : undefined,
        template: t,
      })),
      { title: `MCP Hub: Resource Templates of ${nameLabel(server)}`, placeHolder: 'Choose a template', matchOnDescription: true },
    );
    if (!picked) return;
    const template = new UriTemplate(picked.template.uriTemplate);
    const ref: ResourceTemplateReference = { type: 'ref/resource', uri: picked.template.uriTemplate };
    const values: Record<string, string> = {};
    for (const variable of template.variableNames) {
      const value = await this.ask(server, ref, variable, undefined, true, values);
      if (value === undefined) return;
      values[variable] = value;
    }
    await this.openResource(server, template.expand(values));
  }

  /**
   * One argument, in a quick pick whose items are the server's suggestions for what is typed so far
   * (when it offers completions). Undefined when the person gives up.
   */
  private ask(
    server: string,
    ref: PromptReference | ResourceTemplateReference,
    name: string,
    description: string | undefined,
    required: boolean,
    context: Record<string, string>,
  ): Promise<string | undefined> {
    const offers = this.hub.server(server)?.state;
    const completes = offers?.kind === 'running' && offers.serverInfo.offers?.completions === true;
    const pick = vscode.window.createQuickPick();
    pick.title = `${nameLabel(server)}: ${nameLabel(name)}${required ? '' : ' (optional)'}`;
    pick.placeholder = description ? scrubber.message(description) : `A value for ${scrubber.message(name)}`;
    pick.ignoreFocusOut = true;
    let timer: NodeJS.Timeout | undefined;
    const suggest = (value: string) => {
      const typed = value ? [{ label: value, description: 'as typed' }] : [];
      pick.items = [...typed, ...pick.items.filter((i) => i.description !== 'as typed' && i.label !== value)];
      if (!completes) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        pick.busy = true;
        void this.hub
          .use(server, (client) => client.complete({ ref, argument: { name, value }, ...(Object.keys(context).length ? { context: { arguments: context } } : {}) }))
          .then((r) => {
            if (pick.value !== value) return;
            const suggestions = r.completion.values.slice(0, 100).map((v) => ({ label: scrubber.message(v) }));
            pick.items = [...typed, ...suggestions.filter((s) => s.label !== value)];
          })
          .catch((error: unknown) => this.logger.debug(`[${server}] completion failed: ${scrubber.message(error)}`))
          .finally(() => (pick.busy = false));
      }, SUGGEST_DEBOUNCE_MS);
    };
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: string | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(value);
        pick.dispose();
      };
      pick.onDidChangeValue(suggest);
      pick.onDidAccept(() => {
        const value = pick.selectedItems[0]?.label ?? pick.value;
        if (required && value === '') return;
        finish(value);
      });
      pick.onDidHide(() => finish(undefined));
      pick.show();
      suggest('');
    });
  }

  private async show(server: string, title: string, result: GetPromptResult): Promise<void> {
    const text = render(server, title, result);
    const path = `/${++this.counter}/${encodeURIComponent(scrubber.message(title)).slice(0, 80)}.md`;
    this.documents.set(path, text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: PROMPT_SCHEME, path }));
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
    const copy = await vscode.window.showInformationMessage("MCP Hub: the prompt's messages are open in an editor.", 'Copy Messages');
    if (copy) await vscode.env.clipboard.writeText(text);
  }

  dispose(): void {
    this.registration.dispose();
  }
}

/** The messages as Markdown: each role as a heading, text as it is, other content described (scrubbed). */
function render(server: string, title: string, result: GetPromptResult): string {
  const lines = [`# ${nameLabel(title)} (${nameLabel(server)})`, ''];
  if (result.description) lines.push(scrubber.content(result.description), '');
  for (const m of result.messages) {
    lines.push(`## ${m.role}`, '');
    const c = m.content;
    if (c.type === 'text') lines.push(scrubber.content(c.text));
    else if (c.type === 'resource')
      lines.push(
        'text' in c.resource ? scrubber.content(String(c.resource.text)) : `(${scrubber.message(c.resource.mimeType ?? 'binary')} resource ${scrubber.message(c.resource.uri)})`,
      );
    else if (c.type === 'resource_link') lines.push(`(resource ${scrubber.message(c.uri)})`);
    else lines.push(`(${c.type} content${'mimeType' in c ? `, ${scrubber.message(String(c.mimeType))}` : ''})`);
    lines.push('');
  }
  return lines.join('\n');
}
