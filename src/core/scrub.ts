/**
 * One scrubber for every surface that shows text we did not fully write: log lines, state messages,
 * notifications, the panel's details, API values. Servers, authorization servers and libraries echo
 * credentials and can smuggle markup or terminal escapes; our code avoids putting secrets in text,
 * and this is the last line of defence.
 *
 * Every surface runs the same steps in the same order:
 *   1. clip the input to a few times the surface's cap, so no regex ever sees megabytes;
 *   2. strip control, bidi and zero-width characters (a secret split by U+200B is whole again);
 *   3. mask remembered secret values, then secret-shaped text (tokens, keys, `name=value` pairs);
 *   4. shape for the surface (one line, markdown defused) and cap, never splitting a surrogate pair.
 * Each step is idempotent, so text that passes the scrubber twice comes out the same.
 */

/** Caps: a state message / notification-facing text, and a detail block. */
export const MESSAGE_MAX = 500;
export const DETAIL_MAX = 8 * 1024;
/** A log line. */
export const LOG_MAX = 64 * 1024;

const MASK = '***';
const ELLIPSIS = '…';
/** Regexes run on at most this many times a surface's cap; what lies beyond is dropped anyway. */
const INPUT_FACTOR = 4;
/** Shorter values are not secrets, and masking them would garble ordinary text. */
const MIN_SECRET_LENGTH = 6;
/** No credential is this long; refusing longer values keeps `remember` bounded. */
const MAX_SECRET_LENGTH = 16 * 1024;
const MAX_REMEMBERED = 2000;

// ---------------------------------------------------------------------------------------------
// Step 1 and 4: clipping and capping.

const TOKEN_CHAR = /[A-Za-z0-9._~+/=%-]/;

/**
 * Cuts `text` to at most `limit` UTF-16 units before any regex runs. A credential cut in half would
 * no longer match its pattern, so the run of token characters at the cut is dropped as well.
 */
function clipInput(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = limit;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  if (TOKEN_CHAR.test(text[end] ?? '')) {
    while (end > 0 && TOKEN_CHAR.test(text[end - 1])) end -= 1;
  }
  return text.slice(0, end) + ELLIPSIS;
}

/** Caps `text` at `max` UTF-16 units including the ellipsis, never splitting a surrogate pair. */
function capLength(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  // `command:` + `…` would read as a scheme with a target again; the colon goes with the rest.
  while (end > 0 && text[end - 1] === ':') end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

// ---------------------------------------------------------------------------------------------
// Step 2: invisible and control characters.

/** CSI, OSC, two-byte and character-set escape sequences (and the 8-bit CSI). Bounded, so never slow. */
// eslint-disable-next-line no-control-regex -- matching control characters is this regex's job.
const ANSI_SEQUENCE = /\x1b\[[0-?]{0,64}[ -/]{0,8}[@-~]|\x1b\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)|\x1b[ -/]{1,4}[0-~]|\x1b[@-Z\\-_]|\x9b[0-?]{0,64}[ -/]{0,8}[@-~]/g;
/** Line breaks that are not `\n` would split or overwrite a line on some surfaces. */
const OTHER_LINE_BREAK = /\r\n?|[\u0085\u2028\u2029]/g;
/** C0 (but \t and \n), DEL, C1. */
// eslint-disable-next-line no-control-regex -- matching control characters is this regex's job.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Bidi overrides and marks, zero-width and other invisible characters, Unicode tag characters. */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function stripInvisible(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(OTHER_LINE_BREAK, '\n').replace(CONTROL, '').replace(INVISIBLE, '').replace(LONE_SURROGATE, '\ufffd');
}

// ---------------------------------------------------------------------------------------------
// Step 3: secret-shaped text. Every pattern starts at a word boundary (a lookbehind), so a long run
// of letters is scanned once, not once per position. An escaped `\n` or a `%20` also counts as a
// boundary: stderr inside a JSON string and URL-encoded text hide secrets behind them.

const BOUNDARY = String.raw`(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]|%[0-9A-Fa-f]{2}))`;

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g;

/** JWS (3 parts), JWE (5 parts) and anything JOSE-shaped in between; later parts may be empty. */
const JWT = new RegExp(String.raw`${BOUNDARY}eyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){1,4}`, 'g');

/**
 * Vendor token formats. The prefix stays (it says what kind of token leaked); the rest is masked.
 * Minimum lengths keep ordinary words such as "sk-learn" or "hf_x" out.
 */
const VENDOR_TOKEN = new RegExp(
  `${BOUNDARY}(?:` +
    [
      '(gh[pousr]_)[A-Za-z0-9]{20,}',
      '(github_pat_)[A-Za-z0-9_]{20,}',
      '(sk-(?:ant-|proj-|svcacct-|admin-)?)(?=[A-Za-z0-9_-]{0,200}[0-9])[A-Za-z0-9_-]{20,}',
      '(xox[abposr]-)[A-Za-z0-9-]{10,}',
      '(glpat-)[A-Za-z0-9_-]{20,}',
      '(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])',
      '(AIza)[A-Za-z0-9_-]{30,}',
      '((?:sk|rk|pk)_(?:live|test)_)[A-Za-z0-9]{10,}',
      '(npm_)[A-Za-z0-9]{30,}',
      '(hf_)[A-Za-z0-9]{30,}',
    ].join('|') +
    ')',
  'g',
);

/** `scheme://user:password@host`: the whole userinfo goes (a password may contain a raw `@`). */
const URL_USERINFO = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/)[^\s/?#"'<>]*@/g;

/** `Bearer x`, `Basic x`, `DPoP x` and the like, wherever they appear. */
const AUTH_SCHEME = new RegExp(String.raw`${BOUNDARY}(Bearer|Basic|DPoP|Negotiate|NTLM)([ \t]+)([A-Za-z0-9._~+/=-]+)`, 'gi');

/**
 * The start of a `name<sep>value` pair in JSON, JS/Python reprs, escaped JSON, YAML, INI, env files,
 * header dumps and query or form strings. Only the name and separator are matched here; whether the
 * name is secret and where the value ends is decided in code, so a value is still scanned for pairs
 * inside it (`url: https://a/cb?code=…`).
 */
const ASSIGNMENT = new RegExp(
  String.raw`(?:(?<![A-Za-z0-9_.\\-])|(?<=\\[nrt]|%[0-9A-Fa-f]{2}))(\\?["']?)([A-Za-z_][A-Za-z0-9_.-]{0,80})\1[ \t]{0,8}(=>|[:=]|%3[Dd])[ \t]{0,8}`,
  'g',
);

/** Last words of a name that hold a secret: `access_token`, `clientSecret`, `x-api-key`, `set-cookie`. */
// prettier-ignore
const SECRET_LAST_WORDS = new Set([
  'token', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'key', 'apikey', 'cookie', 'authorization',
  'assertion', 'verifier', 'signature', 'sig', 'credential', 'credentials', 'jwt', 'otp',
]);
/** One-word names such as `accesstoken` or `clientsecret`; `key` is left out (monkey, hockey). */
const SECRET_WORD_ENDING = /(?:token|secret|passw(?:or)?d|apikey|passphrase)$/;
/** Words that make a name secret wherever they are (`SECRET_KEY_BASE`), unless the last word says otherwise. */
const SECRET_ANYWHERE = new Set(['secret', 'password', 'passwd', 'passphrase', 'private']);
/** Last words naming something about a secret rather than the secret: `token_type`, `client_secret_expires_at`. */
// prettier-ignore
const NOT_SECRET_LAST_WORDS = new Set([
  'type', 'types', 'endpoint', 'endpoints', 'url', 'urls', 'uri', 'uris', 'id', 'ids', 'name', 'names', 'kind',
  'method', 'methods', 'supported', 'length', 'size', 'count', 'at', 'in', 'expires', 'expiry', 'exp', 'ttl',
  'lifetime', 'hint', 'path', 'file', 'env', 'var', 'header', 'prefix', 'policy', 'required', 'enabled', 'present',
  'format', 'field', 'location', 'ref', 'source', 'provider', 'alg', 'algorithm', 'mode', 'scope', 'scopes',
  'status', 'label', 'description', 'version', 'strength',
]);
/** `code` alone is a status code in prose; these words before it make it a credential. */
const CODE_QUALIFIERS = new Set(['authorization', 'auth', 'device', 'recovery', 'backup', 'mfa', 'otp', 'verification']);
/** Private members of a JWK (RFC 7518 §6.3.2, §6.4). Only masked as quoted keys with string values. */
const JWK_PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']);

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** Whether a field, header, variable or parameter name holds a secret. `code` only counts in a query. */
function isSecretName(name: string, inQuery: boolean): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  if (last === undefined) return false;
  if (last === 'code') return words.length === 1 ? inQuery : CODE_QUALIFIERS.has(words[words.length - 2]);
  if (SECRET_LAST_WORDS.has(last) || SECRET_WORD_ENDING.test(last)) return true;
  return !NOT_SECRET_LAST_WORDS.has(last) && words.some((w) => SECRET_ANYWHERE.has(w));
}

/** A word after `Bearer` or `token:` that is a credential rather than prose ("Bearer realm", "token:read"). */
function looksLikeCredential(value: string): boolean {
  return value.length >= 20 || /[0-9._~+/=-]/.test(value);
}

interface ValueSpan {
  /** Where the secret part starts and ends (inside any quotes). */
  start: number;
  end: number;
  quoted: boolean;
  /** Where scanning resumes: after the closing quote, if any. */
  next: number;
}

const QUOTES = ['\\"', "\\'", '"', "'"];
/**
 * Where an unquoted value ends, by context. Cookies are `;`-separated, so a header value runs past
 * `;`. A backslash ends a value too: it starts an escape (`\\n`) in text that was JSON-encoded.
 */
const END_OF_QUERY_VALUE = /[\s\\&;,"'<>()[\]{}#]/;
const END_OF_JSON_SCALAR = /[\s\\,}\]"']/;
const END_OF_HEADER_VALUE = /[\n\\,}\]"']/;

/**
 * Finds the value of a pair. Unquoted values end at the first stop character; the end of the last
 * run is remembered, so pairs packed into one run (`a:a:a:…`) cost one scan, not one each.
 */
class ValueReader {
  private runKind = '';
  private runStart = -1;
  private runEnd = -1;

  constructor(private readonly text: string) {}

  /** The value starting at `from`, or undefined when there is none to mask (empty, object, array). */
  read(from: number, separator: string, keyQuoted: boolean): ValueSpan | undefined {
    const text = this.text;
    const quote = QUOTES.find((q) => text.startsWith(q, from));
    if (quote !== undefined) {
      const start = from + quote.length;
      let end = start;
      while (end < text.length && text[end] !== '\n' && !text.startsWith(quote, end)) {
        end += quote.length === 1 && text[end] === '\\' ? 2 : 1;
      }
      end = Math.min(end, text.length);
      if (end === start) return undefined;
      return { start, end, quoted: true, next: text.startsWith(quote, end) ? end + quote.length : end };
    }
    const first = text[from];
    if (first === undefined || first === '{' || first === '[') return undefined;
    const stop = separator !== ':' ? END_OF_QUERY_VALUE : keyQuoted ? END_OF_JSON_SCALAR : END_OF_HEADER_VALUE;
    // After an encoded `=` (a query inside a query parameter) an encoded `&` ends the value too.
    const encoded = separator.startsWith('%');
    const runKind = `${stop.source}${encoded}`;
    let end = from;
    if (runKind === this.runKind && from >= this.runStart && from <= this.runEnd) {
      end = this.runEnd;
    } else {
      while (end < text.length && !stop.test(text[end]) && !(encoded && text.startsWith('%26', end))) end += 1;
      this.runKind = runKind;
      this.runStart = from;
      this.runEnd = end;
    }
    while (end > from && /\s/.test(text[end - 1])) end -= 1;
    if (end === from) return undefined;
    return { start: from, end, quoted: false, next: end };
  }
}

/** Whether a parameter at `at` follows `?`, `&`, `#`, `;`, a line start, or their URL encodings. */
function startsQueryParam(text: string, at: number): boolean {
  return at === 0 || '?&#;\n'.includes(text[at - 1]) || /%(?:26|3[Ff]|23|3[Bb]|0[Aa])$/.test(text.slice(Math.max(0, at - 3), at));
}

function maskAssignments(text: string): string {
  const pattern = new RegExp(ASSIGNMENT.source, 'g');
  const values = new ValueReader(text);
  let out = '';
  let copied = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const [whole, quote, name, separator] = m as unknown as [string, string, string, string];
    const jwkMember = quote !== '' && JWK_PRIVATE_MEMBERS.has(name);
    // The name decides first: reading values only for candidate names keeps prose cheap.
    if (!jwkMember && !isSecretName(name, true)) continue;
    const span = values.read(pattern.lastIndex, separator, quote !== '');
    if (span === undefined) continue;
    const inQuery = separator !== ':' && separator !== '=>' && (startsQueryParam(text, m.index) || text[span.next] === '&');
    const secret =
      (isSecretName(name, inQuery) &&
        // `token:read` (a scope) is not `token: abc123`; YAML and headers put a space after the colon.
        !(separator === ':' && quote === '' && !/[ \t]$/.test(whole) && !span.quoted && !looksLikeCredential(text.slice(span.start, span.end)))) ||
      (jwkMember && span.quoted);
    if (!secret) continue;
    out += text.slice(copied, span.start) + MASK;
    copied = span.end;
    pattern.lastIndex = span.next;
  }
  return out === '' ? text : out + text.slice(copied);
}

function maskPatterns(text: string): string {
  return maskAssignments(
    text
      .replace(PEM_PRIVATE_KEY, (_m, kind: string, block: string | undefined) => {
        const label = `${kind}PRIVATE KEY${block ?? ''}`;
        return `-----BEGIN ${label}-----${MASK}-----END ${label}-----`;
      })
      .replace(JWT, MASK)
      .replace(VENDOR_TOKEN, (...args: unknown[]) => {
        const prefix = args.slice(1, -2).find((g): g is string => typeof g === 'string');
        return `${prefix ?? ''}${MASK}`;
      })
      .replace(URL_USERINFO, `$1${MASK}@`)
      .replace(AUTH_SCHEME, (whole, scheme: string, space: string, credential: string, offset: number, all: string) =>
        // `Bearer realm="…"` in WWW-Authenticate is a parameter name, not a credential.
        all[offset + whole.length] === '"' || !looksLikeCredential(credential) ? whole : `${scheme}${space}${MASK}`,
      ),
  );
}

// ---------------------------------------------------------------------------------------------
// Step 3, in URLs: hosted servers put keys in paths (`/v1/<32 hex>/mcp`, `/<uuid>/sse`). In the path
// of every URL in the text, a part that looks like a key is masked: a UUID, 16 or more hex digits,
// or a run of 20 or more base64url characters with a letter-and-digit stretch of 8 or more. Words
// stay readable (`/mcp`, `/v1`, `/api/github`, `/.well-known/oauth-protected-resource`,
// `my-server-2024`). Vendor prefixes (`ghp_`, `sk-`…) were masked before, keeping the prefix.

/** A URL up to the end of its path: the scheme and authority, then the path (group 2). */
const URL_WITH_PATH = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^\s/?#"'<>\\]*)(\/[^\s?#"'<>\\]*)/g;
const PATH_RUN = /[A-Za-z0-9_-]+/g;
const HEX_KEY = /(?<![A-Za-z0-9])(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{16,})(?![A-Za-z0-9])/gi;
/** The stretch of letters and digits mixed that makes a long run a token rather than a slug. */
const MIXED_STRETCH = /(?=[A-Za-z_-]{0,64}[0-9])(?=[0-9_-]{0,64}[A-Za-z])[A-Za-z0-9]{8,}/;

function isTokenRun(run: string): boolean {
  return run.length >= 20 && run.split(/[-_]/).some((part) => MIXED_STRETCH.test(part));
}

function maskPathKeys(path: string): string {
  return path.replace(PATH_RUN, (run) => (isTokenRun(run) ? MASK : run.replace(HEX_KEY, MASK)));
}

/**
 * The parts of a URL's path that look like keys, as masked above. The hub has the scrubber remember
 * them for each configured URL, so a server echoing its key outside a URL is masked too.
 */
export function urlPathKeys(url: string): string[] {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return [];
  }
  return Array.from(path.matchAll(PATH_RUN), ([run]) => (isTokenRun(run) ? [run] : Array.from(run.matchAll(HEX_KEY), ([hex]) => hex))).flat();
}

function maskUrlPaths(text: string): string {
  return text.replace(URL_WITH_PATH, (_whole, start: string, path: string) => start + maskPathKeys(path));
}

// ---------------------------------------------------------------------------------------------
// Step 3, in command lines: a stdio server's row names its program (`npx @scope/server`, `node
// server.mjs`, `docker run ghcr.io/org/image`), so that rows of node- or npx-based servers differ,
// and nothing that may be secret. Left out: every flag with its value (`--token x`, `-e KEY`,
// `--api-key=x`), anything with a variable (`${input:key}`, `$HOME`), URLs, and anything the steps
// above would mask or that looks like a key. Only the first argument left may be any plain word (a
// subcommand such as `run`, a package such as `mcp-server-fetch`); a second is shown only when it
// clearly names a program (a scoped or versioned package, a path to an image or a script), since a
// plain word there could be a password. Paths keep their last part. `…` stands for what is left out.

/** Flags that take no value (so the argument after them is not theirs), for the usual launchers. */
const VALUELESS_FLAGS = new Set(['-y', '--yes', '-q', '--quiet', '--silent', '--rm', '--no-install', '--']);
/** Flags whose value is the program itself: `python -m module`, `uvx --from package`, `npx --package package`. */
const PROGRAM_FLAGS = new Set(['-m', '--from', '--package']);
const PLAIN_ARG = /^[@A-Za-z0-9._/:+~-]+$/;
const SCRIPT = /\.(?:[cm]?[jt]s|py|rb|sh|jar|php|pl|exe|dll|bat|cmd|ps1)$/i;
/** `@scope/name`, `name@1.2.3`, `registry/org/image[:tag]`: a program's name, not a word someone could choose as a password. */
const PROGRAM_NAME =
  /^(?:@[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*(?:@[A-Za-z0-9._^~-]+)?|[a-z0-9][a-z0-9._-]*@[A-Za-z0-9._^~-]+|[a-z0-9][a-z0-9.-]*(?:\/[a-z0-9][a-z0-9._-]*)+(?::[A-Za-z0-9._-]+)?)$/;

/** The last part of a path (`/home/me/servers/weather.mjs` -> `weather.mjs`); other text as it is. */
function lastPart(arg: string): string {
  if (!/^(?:[A-Za-z]:)?[\\/]|^\.{1,2}[\\/]|^~[\\/]/.test(arg)) return arg;
  const parts = arg.split(/[\\/]+/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? arg;
}

/** Whether an argument may be shown: plain, no variable or URL, nothing a mask would touch, nothing key-like. */
function showable(arg: string, clean: (text: string) => string): boolean {
  if (arg.length === 0 || arg.length > 100 || !PLAIN_ARG.test(arg) || arg.includes('://')) return false;
  // `user:password@host`: a colon or an at sign only in a package or image name.
  if (/[:@]/.test(arg) && !PROGRAM_NAME.test(arg)) return false;
  if (clean(arg) !== arg) return false;
  return !Array.from(arg.matchAll(PATH_RUN)).some(([run]) => isTokenRun(run) || new RegExp(HEX_KEY.source, 'i').test(run));
}

// ---------------------------------------------------------------------------------------------
// Step 4: markdown. VS Code turns `[label](https:|command:|file:…)` in notifications into links and
// runs `command:` links on click; other renderers also honour `<scheme:…>` autolinks. Each marker is
// inserted before the character that would complete a link, and a cap never ends on a colon, so
// cutting defused text cannot make a link again.

const LINK_OPENING = /\]\(/g;
const AUTOLINK = /<(?=[A-Za-z][A-Za-z0-9+.-]{1,31}:)/g;
const DANGEROUS_SCHEME = /(?<![A-Za-z0-9+.-])(command|vscode(?:-[A-Za-z]+)*|javascript|vbscript|file(?=:\/)):(?=\S)/gi;

function defuseMarkdown(text: string): string {
  return text.replace(LINK_OPENING, '] (').replace(AUTOLINK, '< ').replace(DANGEROUS_SCHEME, '$1 :');
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return String(value.message || value.name);
  try {
    return String(value);
  } catch {
    return '(unprintable value)';
  }
}

// ---------------------------------------------------------------------------------------------

export class Scrubber {
  /** Remembered values, oldest first, each with the encoded forms it may appear in. */
  private readonly remembered = new Map<string, string[]>();
  private forms: string[] | undefined;

  /**
   * Remembers exact secret values (tokens, client secrets, header/env values, ${input} values) to
   * mask wherever they appear later, also URL-, form-, JSON-, base64- and base64url-encoded.
   * Empty values and values shorter than 6 characters are ignored; at most 2000 are kept, forgetting
   * the oldest.
   */
  remember(...values: Array<string | undefined | null>): void {
    for (const value of values) {
      if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH) continue;
      this.remembered.delete(value);
      this.remembered.set(value, encodedForms(value));
      if (this.remembered.size > MAX_REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
      this.forms = undefined;
    }
  }

  /** For log lines: secrets masked, control characters but \n and \t stripped; capped at 64 KiB. */
  log(text: string): string {
    return capLength(this.clean(toText(text), LOG_MAX), LOG_MAX);
  }

  /**
   * One line for a state message, a notification or an API value: what `log` does, plus newlines
   * collapsed, markdown links defused, capped at MESSAGE_MAX. Error -> its message.
   */
  message(text: unknown): string {
    const line = this.clean(toText(text), MESSAGE_MAX).replace(/\s+/g, ' ').trim();
    return capLength(defuseMarkdown(line), MESSAGE_MAX);
  }

  /** A multi-line detail block: like `message` but keeps newlines; capped at DETAIL_MAX. */
  detail(text: unknown): string {
    return capLength(defuseMarkdown(this.clean(toText(text), DETAIL_MAX)), DETAIL_MAX);
  }

  /**
   * Long untrusted content for display (a tool result, a resource): secrets masked, invisible
   * characters stripped, nothing else changed and nothing cut (the caller caps it).
   */
  content(text: string): string {
    return maskPatterns(this.maskRemembered(stripInvisible(text)));
  }

  /** A URL for display: scheme, host, port and path (no userinfo, query or fragment). */
  url(url: string | URL): string {
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      return '(invalid URL)';
    }
    const authority = parsed.host !== '' || parsed.href.startsWith(`${parsed.protocol}//`) ? `//${parsed.host}` : '';
    return this.message(`${parsed.protocol}${authority}${parsed.pathname}`);
  }

  /**
   * A stdio server's command line for its row: the program and what names it, never a value that
   * may be secret (see "in command lines" above). E.g. `npx @modelcontextprotocol/server-filesystem …`.
   */
  commandLine(command: string, args: readonly string[]): string {
    const clean = (text: string) => this.message(text);
    const program = showable(lastPart(command), clean) ? lastPart(command) : '(command)';
    const shown: string[] = [];
    /** Arguments looked at: shown, or left out (a flag, a flag's value). */
    let next = 0;
    let leftOut = false;
    while (next < args.length && shown.length < 2) {
      const arg = args[next];
      if (arg.startsWith('-')) {
        const flag = arg.split('=')[0];
        const value = arg.includes('=') ? undefined : args[next + 1];
        // A script after a flag is the program (`node --inspect server.mjs`), not the flag's value.
        const secretFlag = isSecretName(flag.replace(/^-+/, ''), false);
        const takesValue = value !== undefined && !value.startsWith('-') && !VALUELESS_FLAGS.has(flag) && (secretFlag || !SCRIPT.test(value));
        if (PROGRAM_FLAGS.has(flag) && takesValue && showable(value, clean)) {
          // `python -m module`: the module is the program; what follows is its arguments.
          shown.push(flag, value);
          next += 2;
          break;
        }
        if (!VALUELESS_FLAGS.has(flag)) leftOut = true;
        // A flag's value goes with it.
        next += takesValue ? 2 : 1;
        continue;
      }
      const part = lastPart(arg);
      const program = PROGRAM_NAME.test(arg) || SCRIPT.test(part);
      // Past the first argument only what clearly names a program: a plain word there could be a password.
      if (!showable(part, clean) || (shown.length > 0 && !program)) break;
      shown.push(part);
      next += 1;
      // A script or a named package is the program: what follows is its arguments.
      if (program) break;
    }
    const more = leftOut || next < args.length;
    return [program, ...shown, ...(more ? ['…'] : [])].join(' ');
  }

  /**
   * Steps 1 to 3 for the surfaces that show URLs of their own (log, message, detail, url). `content`
   * leaves URL paths alone: a tool's answer may link a commit or a document by its ID on purpose.
   */
  private clean(text: string, cap: number): string {
    return maskUrlPaths(maskPatterns(this.maskRemembered(stripInvisible(clipInput(text, cap * INPUT_FACTOR)))));
  }

  /** Masks every occurrence of every remembered form; overlapping ones are masked as one. */
  private maskRemembered(text: string): string {
    if (this.remembered.size === 0) return text;
    this.forms ??= [...new Set([...this.remembered.values()].flat())];
    const spans: Array<[number, number]> = [];
    for (const form of this.forms) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) spans.push([at, at + form.length]);
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let copied = 0;
    for (let i = 0; i < spans.length;) {
      const start = spans[i][0];
      let end = spans[i][1];
      for (i += 1; i < spans.length && spans[i][0] <= end; i += 1) end = Math.max(end, spans[i][1]);
      out += text.slice(copied, start) + MASK;
      copied = end;
    }
    return out + text.slice(copied);
  }
}

/** The forms a secret value takes in URLs, form bodies, JSON strings and base64 encodings. */
function encodedForms(value: string): string[] {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const forms = [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    base64,
    base64.replace(/=+$/, ''),
    Buffer.from(value, 'utf8').toString('base64url'),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** The one shared instance every surface uses. */
export const scrubber = new Scrubber();

/**
 * A logger whose every line passes `scrubber.log`: the hub wraps the logger it is given, so the
 * editor's log channel, the conformance adapter and tests all get the same cleaned lines.
 */
export function scrubbedLogger(logger: import('./ports').Logger): import('./ports').Logger {
  return {
    trace: (m) => logger.trace(scrubber.log(m)),
    debug: (m) => logger.debug(scrubber.log(m)),
    info: (m) => logger.info(scrubber.log(m)),
    warn: (m) => logger.warn(scrubber.log(m)),
    error: (m) => logger.error(scrubber.log(m)),
  };
}
