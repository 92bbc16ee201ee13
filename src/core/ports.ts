/**
 * The small interfaces the core needs from its host. The VS Code adapters in src/vscode implement
 * them for the editor; tests and the conformance adapter implement them for plain Node.
 */

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | ReturnType<typeof setTimeout>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry must never keep a Node process (tests, CLI adapters) alive on its own.
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Secret storage keyed by string, like vscode.SecretStorage. */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  onDidChange(listener: (key: string) => void): Disposable;
}

/** Opens a URL in the user's browser, like vscode.env.openExternal. */
export interface BrowserOpener {
  open(url: string): Promise<boolean>;
}

export interface Disposable {
  dispose(): void;
}

export const noopLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** A logger that prefixes every line with a component, e.g. `[github]`. */
export function scopedLogger(logger: Logger, scope: string): Logger {
  const p = `[${scope}] `;
  return {
    trace: (m) => logger.trace(p + m),
    debug: (m) => logger.debug(p + m),
    info: (m) => logger.info(p + m),
    warn: (m) => logger.warn(p + m),
    error: (m) => logger.error(p + m),
  };
}

/**
 * Answers a server's elicitation/create request: the editor asks the person at it; a headless host
 * answers as its configuration says. `params` is the request as the SDK validated it.
 */
export interface ElicitationHandler {
  readonly modes: { readonly form: boolean; readonly url: boolean };
  elicit(server: string, params: ElicitParams): Promise<ElicitAnswer>;
}

export type ElicitParams = import('@modelcontextprotocol/client').ElicitRequest['params'];
export type ElicitAnswer = import('@modelcontextprotocol/client').ElicitResult;

/**
 * Answers a server's sampling/createMessage request (the server asks the client's language model for
 * a completion). The hub offers sampling only when it has one of these; it answers or throws.
 */
export interface SamplingHandler {
  sample(server: string, params: SampleParams): Promise<SampleAnswer>;
}

export type SampleParams = import('@modelcontextprotocol/client').CreateMessageRequest['params'];
export type SampleAnswer = import('@modelcontextprotocol/client').CreateMessageResult;
