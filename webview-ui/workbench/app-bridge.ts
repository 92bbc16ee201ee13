/**
 * One MCP App's connection, on the host side of the MCP Apps SDK's AppBridge: the sandbox proxy is
 * handed the app's HTML when it says it is ready; after the app's `ui/initialize` and `initialized`
 * it gets the run's input, then its result (or that it was cancelled); its tools/call goes to the
 * extension (which decides and calls through the hub), open-link to VS Code (http and https only,
 * one at a time), its messages and model context to the tab as text, its size to the frame.
 *
 * Every message from the app passes GuardedTransport first: the SDK validates the JSON-RPC, this
 * caps its size and its rate. An app that keeps flooding after its budget is spent is stopped.
 */
import { AppBridge, PostMessageTransport, type McpUiHostCapabilities } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { AppView } from '../../src/protocol';
import type { AppHooks } from './app-hooks';

type Transport = Parameters<AppBridge['connect']>[0];
type Message = Parameters<Transport['send']>[0];
type ToolResult = Awaited<ReturnType<NonNullable<AppBridge['oncalltool']>>>;
type ContentBlocks = ReadonlyArray<Record<string, unknown>>;

/** The largest message an app may send (characters of JSON). */
export const APP_MESSAGE_MAX_CHARS = 2_000_000;
/** Messages an app may send in a burst, and per second after it. */
export const APP_MESSAGE_BURST = 200;
export const APP_MESSAGES_PER_SECOND = 50;
/** Messages refused (over the rate or the size) after which the app is stopped. */
export const APP_REFUSALS_TO_STOP = 500;
/** Links an app may open: one per this many milliseconds. */
export const APP_LINK_INTERVAL_MS = 2000;
const SAID_MAX_CHARS = 4000;

export const HOST_INFO = { name: 'MCP Hub', version: '1' };

export type { AppHooks };

/** A Transport in front of another that admits the app's messages within a size and a rate. */
export class GuardedTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  private tokens = APP_MESSAGE_BURST;
  private last: number;
  private refused = 0;
  private stopped = false;

  constructor(
    private readonly inner: Transport,
    private readonly flood: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      if (this.admit(message)) this.onmessage?.(message, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    await this.inner.start();
  }

  private admit(message: Message): boolean {
    if (this.stopped) return false;
    const t = this.now();
    this.tokens = Math.min(APP_MESSAGE_BURST, this.tokens + ((t - this.last) / 1000) * APP_MESSAGES_PER_SECOND);
    this.last = t;
    let size = Infinity;
    try {
      size = JSON.stringify(message).length;
    } catch {
      // not serialisable: refused below
    }
    if (this.tokens >= 1 && size <= APP_MESSAGE_MAX_CHARS) {
      this.tokens -= 1;
      return true;
    }
    if (++this.refused >= APP_REFUSALS_TO_STOP) {
      this.stopped = true;
      this.flood();
    }
    return false;
  }

  send(message: Message, options?: Parameters<Transport['send']>[1]): Promise<void> {
    return this.stopped ? Promise.resolve() : this.inner.send(message, options);
  }

  close(): Promise<void> {
    this.stopped = true;
    return this.inner.close();
  }
}

/** The transport to an app's sandbox proxy frame: postMessage, from that frame only. */
export function frameTransport(frame: HTMLIFrameElement): Transport {
  const target = frame.contentWindow;
  if (!target) throw new Error('The app frame is not in the page.');
  return new PostMessageTransport(target, target);
}

export function hostCapabilities(app: AppView): McpUiHostCapabilities {
  return {
    openLinks: {},
    serverTools: {},
    message: { text: {} },
    updateModelContext: { text: {}, structuredContent: {} },
    sandbox: { csp: { ...app.csp } as McpUiHostCapabilities['sandbox'] extends { csp?: infer C } ? C : never, permissions: grants(app) },
  };
}

const grants = (app: AppView) => Object.fromEntries(app.permissions.map((p) => [p, {}]));

/** Content blocks as the tab shows them: text as it is, anything else named. */
export function blocksText(blocks: ContentBlocks | undefined, structured?: unknown): string {
  const parts = (blocks ?? []).map((b) =>
    b.type === 'text' && typeof b.text === 'string' ? b.text : b.type === 'resource_link' && typeof b.name === 'string' ? `[link: ${b.name}]` : `[${String(b.type)}]`,
  );
  if (structured !== undefined) {
    try {
      parts.push(JSON.stringify(structured));
    } catch {
      parts.push('[structured content]');
    }
  }
  const text = parts.join('\n');
  return text.length > SAID_MAX_CHARS ? `${text.slice(0, SAID_MAX_CHARS)}…` : text;
}

export class AppConnection {
  readonly bridge: AppBridge;
  private initialized = false;
  private input: Record<string, unknown> | undefined;
  private result: Record<string, unknown> | undefined;
  private cancelled: string | undefined;
  private inputSent = false;
  private sending: Promise<void> = Promise.resolve();
  private lastLink = -Infinity;
  private closed = false;

  constructor(
    private readonly app: AppView,
    private readonly transport: Transport,
    private readonly hooks: AppHooks,
  ) {
    const now = hooks.now ?? (() => performance.now());
    this.bridge = new AppBridge(null, HOST_INFO, hostCapabilities(app), { hostContext: hooks.hostContext() });
    const bridge = this.bridge;
    bridge.addEventListener('sandboxready', () => {
      void bridge.sendSandboxResourceReady({ html: app.html, csp: { ...app.csp } as never, permissions: grants(app) });
    });
    bridge.addEventListener('initialized', () => {
      this.initialized = true;
      this.flush();
    });
    bridge.addEventListener('sizechange', ({ height }) => {
      if (typeof height === 'number' && Number.isFinite(height)) hooks.resize(height);
    });
    bridge.addEventListener('requestteardown', () => hooks.stop());
    bridge.oncalltool = async ({ name, arguments: args }) => (await hooks.callTool(name, args ?? {})) as ToolResult;
    bridge.onopenlink = async ({ url }) => {
      let scheme: string;
      try {
        scheme = new URL(url).protocol;
      } catch {
        return { isError: true };
      }
      if (scheme !== 'https:' && scheme !== 'http:') return { isError: true };
      const t = now();
      if (t - this.lastLink < APP_LINK_INTERVAL_MS) return { isError: true };
      this.lastLink = t;
      hooks.openLink(url);
      return {};
    };
    bridge.onmessage = async ({ content }) => {
      hooks.said('message', blocksText(content));
      return {};
    };
    bridge.onupdatemodelcontext = async ({ content, structuredContent }) => {
      hooks.said('context', blocksText(content, structuredContent));
      return {};
    };
  }

  start(): Promise<void> {
    return this.bridge.connect(this.transport);
  }

  /** The run's arguments: sent once the app is initialized. */
  toolInput(args: Record<string, unknown>): void {
    this.input = args;
    this.flush();
  }

  /** The run's result (after its input). */
  toolResult(result: Record<string, unknown>): void {
    this.result = result;
    this.flush();
  }

  toolCancelled(reason: string): void {
    this.cancelled = reason;
    this.flush();
  }

  /** The theme or the space changed: the app is told what differs. */
  contextChanged(): void {
    if (this.initialized && !this.closed) this.bridge.setHostContext(this.hooks.hostContext());
  }

  /** Input first (once), then the outcome, in order, and only once the app is initialized. */
  private flush(): void {
    if (!this.initialized || this.closed) return;
    if (!this.inputSent) {
      if (this.input === undefined) return;
      this.inputSent = true;
      const args = this.input;
      this.sending = this.sending.then(() => this.bridge.sendToolInput({ arguments: args }));
    }
    const result = this.result;
    const cancelled = this.cancelled;
    this.result = undefined;
    this.cancelled = undefined;
    if (result !== undefined) this.sending = this.sending.then(() => this.bridge.sendToolResult(result as ToolResult));
    else if (cancelled !== undefined) this.sending = this.sending.then(() => this.bridge.sendToolCancelled({ reason: cancelled }));
    this.sending = this.sending.catch(() => undefined);
  }

  /** Asks the app to tear down (waiting a moment for its answer), then closes the connection. */
  async close(wait = true): Promise<void> {
    if (this.closed) return;
    if (wait && this.initialized) await this.bridge.teardownResource({}, { timeout: 1000 }).catch(() => undefined);
    this.closed = true;
    await this.bridge.close().catch(() => undefined);
  }
}
