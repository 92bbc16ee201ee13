import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DETAIL_MAX, LOG_MAX, MESSAGE_MAX, Scrubber, urlPathKeys } from '../../src/core/scrub';

const JWS = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const JWE = 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ';

/** [input, what `log` makes of it]: each secret shape is masked and its name kept. */
const MASKED: Array<[string, string]> = [
  // Authorization-type values and header dumps
  ['Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: ***'],
  ['sent Bearer abc123 to server', 'sent Bearer *** to server'],
  ['retry with bearer 9f8e7d6c5b4a', 'retry with bearer ***'],
  ['Basic dXNlcjpwYXNzd29yZA== was refused', 'Basic *** was refused'],
  [`DPoP ${JWS}`, 'DPoP ***'],
  ['proxy-authorization: Basic abc=', 'proxy-authorization: ***'],
  ['Cookie: sid=abc123; theme=dark', 'Cookie: ***'],
  ['set-cookie: sid=abc123; Path=/; HttpOnly', 'set-cookie: ***'],
  ['x-api-key: sk-live-123', 'x-api-key: ***'],
  ['api-key: 12345678', 'api-key: ***'],
  ['X-Auth-Token: abcdef', 'X-Auth-Token: ***'],
  ['X-Vault-Token: s.abcdef', 'X-Vault-Token: ***'],
  ['curl -H "Authorization: Bearer abc123" https://a', 'curl -H "Authorization: ***" https://a'],
  // JWS / JWE
  [`id_hint ${JWS} end`, 'id_hint *** end'],
  [`got ${JWE}`, 'got ***'],
  [`"${JWS}"`, '"***"'],
  // vendor token formats keep their prefix
  ['ghp_0123456789abcdefghijABCDEFGHIJ012345', 'ghp_***'],
  ['use gho_0123456789abcdefghijABCD here', 'use gho_*** here'],
  ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_***'],
  ['key sk-ant-api03-AbCdEf0123456789AbCdEf0123456789-xyz', 'key sk-ant-***'],
  ['sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12', 'sk-proj-***'],
  ['sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34', 'sk-***'],
  ['xoxb-1234567890-abcdefghij', 'xoxb-***'],
  ['glpat-abcdefghij0123456789', 'glpat-***'],
  ['AKIAIOSFODNN7EXAMPLE is the id', 'AKIA*** is the id'],
  ['ASIAIOSFODNN7EXAMPLE', 'ASIA***'],
  ['AIzaSyA-0123456789abcdefghijklmnopqrstu', 'AIza***'],
  ['sk_live_0123456789abcdef', 'sk_live_***'],
  ['rk_live_0123456789abcdef', 'rk_live_***'],
  ['pk_live_0123456789abcdef', 'pk_live_***'],
  ['npm_0123456789abcdefghijABCDEFGHIJ0123', 'npm_***'],
  ['hf_0123456789abcdefghijABCDEFGHIJ0123', 'hf_***'],
  // JSON, including non-string values and JSON inside a JSON string
  ['{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}', '{"access_token":"***","token_type":"Bearer","expires_in":3600}'],
  ['{"access_token": 12345, "expires_in": 3600}', '{"access_token": ***, "expires_in": 3600}'],
  ['{"refresh_token": "r1", "id_token": "i1"}', '{"refresh_token": "***", "id_token": "***"}'],
  ['{"client_secret":"c\\"s1"}', '{"client_secret":"***"}'],
  ['{"body":"{\\"access_token\\":\\"abc123\\"}"}', '{"body":"{\\"access_token\\":\\"***\\"}"}'],
  ['{"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n","private_key_id":"k1"}', '{"private_key":"***","private_key_id":"k1"}'],
  // YAML, INI, env, JS and Python reprs, camelCase
  ['access_token: abc.def', 'access_token: ***'],
  ['password: correct horse battery staple', 'password: ***'],
  ['API_KEY=abc123', 'API_KEY=***'],
  ['export GITHUB_TOKEN=foo-bar-1', 'export GITHUB_TOKEN=***'],
  ['SECRET_KEY_BASE=f00ba4', 'SECRET_KEY_BASE=***'],
  ['spring.datasource.password=s3cr3t', 'spring.datasource.password=***'],
  ["{ accessToken: 'a1', refreshToken: 'b2', idToken: 'c3' }", "{ accessToken: '***', refreshToken: '***', idToken: '***' }"],
  ["{ clientSecret: 'd4', apiKey: 'e5', privateKey: 'f6' }", "{ clientSecret: '***', apiKey: '***', privateKey: '***' }"],
  ["{'password': 'g7', 'passwd': 'h8', 'secret': 'i9'}", "{'password': '***', 'passwd': '***', 'secret': '***'}"],
  [
    '{"client_assertion":"x1","code_verifier":"x2","authorization_code":"x3","token":"x4"}',
    '{"client_assertion":"***","code_verifier":"***","authorization_code":"***","token":"***"}',
  ],
  ['{:password => "abc"}', '{:password => "***"}'],
  // query and form strings
  ['GET /callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz', 'GET /callback?code=***&state=xyz'],
  ['grant_type=refresh_token&refresh_token=8xLOxBtZp8&resource=https://a', 'grant_type=refresh_token&refresh_token=***&resource=https://a'],
  ['code=abc&state=1', 'code=***&state=1'],
  ['https://h/cb?api_key=k1&key=k2&sig=s1&signature=s2#f', 'https://h/cb?api_key=***&key=***&sig=***&signature=***#f'],
  ['password=p1&client_secret=c1&code_verifier=v1&access_token=a1&token=t1', 'password=***&client_secret=***&code_verifier=***&access_token=***&token=***'],
  ['redirect=https%3A%2F%2Fh%2Fcb%3Fcode%3Dabc123%26state%3Dx', 'redirect=https%3A%2F%2Fh%2Fcb%3Fcode%3D***%26state%3Dx'],
  ['stderr: "boom\\npassword=hunter22\\n"', 'stderr: "boom\\npassword=***\\n"'],
  // PEM private keys, whole or cut off, and JWK private members
  ['-----BEGIN RSA PRIVATE KEY-----\nMIIEab\n-----END RSA PRIVATE KEY----- after', '-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- after'],
  ['got -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNza', 'got -----BEGIN OPENSSH PRIVATE KEY-----***-----END OPENSSH PRIVATE KEY-----'],
  ['-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY\n-----END PGP PRIVATE KEY BLOCK-----', '-----BEGIN PGP PRIVATE KEY BLOCK-----***-----END PGP PRIVATE KEY BLOCK-----'],
  [
    '{"kty":"RSA","n":"0vx7","e":"AQAB","d":"X4cT","p":"83i","q":"3dfO","dp":"G4sP","dq":"s9lA","qi":"GyM"}',
    '{"kty":"RSA","n":"0vx7","e":"AQAB","d":"***","p":"***","q":"***","dp":"***","dq":"***","qi":"***"}',
  ],
  ['{"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"}', '{"kty":"oct","k":"***"}'],
  // userinfo in URLs
  ['connect https://alice:s3cret@db.example:5432/x failed', 'connect https://***@db.example:5432/x failed'],
  ['postgres://u:p@ss@db/x', 'postgres://***@db/x'],
];

/** Ordinary text that must come out of every surface exactly as it went in. */
const PROSE = [
  'the token endpoint',
  'refresh the token',
  'code 404',
  'status code 500',
  'status code: 500',
  'error code -32000',
  'error code=-32000',
  'keyboard: us',
  'monkey=1',
  'use the key to sign',
  'https://example.com/oauth/token/refresh',
  'HTTP 405 from http://127.0.0.1:3000/mcp',
  '{"code":-32000,"message":"Internal error"}',
  'grant_type=authorization_code',
  'token_type: Bearer',
  '{"token_type":"Bearer","expires_in":3600,"scope":"read"}',
  '{"token_endpoint":"https://as/token","authorization_servers":["https://as"],"client_secret_expires_at":0}',
  'max_tokens: 4096, input_tokens=12',
  'scope token:read',
  'Bearer token required',
  'Basic authentication failed',
  'WWW-Authenticate: Bearer realm="mcp", error="invalid_token", resource_metadata="https://a/.well-known/x"',
  'connected (5 tools, 1 resources, 1 prompts)',
  'The server process exited.',
  'state=xyz&client_id=my-app',
  'pip install sk-learn; hf_x is short',
  'ghp_short and AKIA alone',
  'client_id: abc, key_id: k1, token_type_hint=refresh_token',
];

describe('scrubber: secret shapes', () => {
  const s = new Scrubber();
  for (const [input, expected] of MASKED) {
    it(`masks ${JSON.stringify(input.slice(0, 40))}`, () => assert.equal(s.log(input), expected));
  }
  it('leaves ordinary prose alone on every surface', () => {
    for (const line of PROSE) {
      assert.equal(s.log(line), line);
      assert.equal(s.message(line), line);
      assert.equal(s.detail(line), line);
    }
  });
  it('joins a secret split by invisible characters before masking it', () => {
    assert.equal(s.log('Bear\u200Ber abc\u200D123'), 'Bearer ***');
    assert.equal(s.log('ghp_0123456789\u2066abcdefghijABCD'), 'ghp_***');
  });
});

describe('scrubber: remembered values', () => {
  it('masks a remembered value wherever it appears, and its encoded forms', () => {
    const s = new Scrubber();
    s.remember('p@ss word/1');
    assert.equal(s.log('pw p@ss word/1!'), 'pw ***!');
    assert.equal(s.log('u=p%40ss%20word%2F1&x=1'), 'u=***&x=1');
    assert.equal(s.log('form p%40ss+word%2F1'), 'form ***');
    assert.equal(s.log(`b64 ${Buffer.from('p@ss word/1').toString('base64')}`), 'b64 ***');
  });
  it('masks a value containing another, or overlapping it, as one', () => {
    const s = new Scrubber();
    s.remember('abcdefgh', 'abcdefghijkl', 'ijklmnopqr');
    assert.equal(s.log('x abcdefghijklmnopqr y abcdefgh'), 'x *** y ***');
  });
  it('ignores empty, missing and short values', () => {
    const s = new Scrubber();
    s.remember(undefined, null, '', 'abc', 'abcde');
    assert.equal(s.log('abc abcde'), 'abc abcde');
  });
  it('keeps the 2000 most recent values', () => {
    const s = new Scrubber();
    const values = Array.from({ length: 2001 }, (_, i) => `remembered-${String(i).padStart(4, '0')}`);
    s.remember(...values);
    assert.equal(s.log(`${values[0]} ${values[1]} ${values[2000]}`), `${values[0]} *** ***`);
  });
  it('masks remembered values in messages, details and URLs too', () => {
    const s = new Scrubber();
    s.remember('tenant-secret-42');
    assert.equal(s.message('failed for tenant-secret-42'), 'failed for ***');
    assert.equal(s.detail('a\ntenant-secret-42'), 'a\n***');
    assert.equal(s.url('https://h/t/tenant-secret-42/mcp'), 'https://h/t/***/mcp');
  });
});

describe('scrubber: control characters', () => {
  const s = new Scrubber();
  const hostile = 'a\x1b[31mred\x1b[0m\r\nb\tc\u0000d\u202Ee\u200Bf\uFEFFg\u2066h\x9b2Ji\x7f\u0085j';
  it('log keeps \\n and \\t, strips ANSI, C0/C1, bidi and zero-width characters', () => {
    assert.equal(s.log(hostile), 'ared\nb\tcdefghi\nj');
  });
  it('message collapses every line break and tab to one space', () => {
    assert.equal(s.message(hostile), 'ared b cdefghi j');
  });
  it('detail keeps line breaks', () => {
    assert.equal(s.detail(hostile), 'ared\nb\tcdefghi\nj');
  });
  it('drops OSC 8 terminal hyperlinks, lone carriage returns and Unicode tags', () => {
    assert.equal(s.log('\x1b]8;;command:x\x07link\x1b]8;;\x07 ok\rdone\u{E0041}'), 'link ok\ndone');
  });
  it('replaces lone surrogates', () => {
    assert.equal(s.log('a\uD800b\uDC00c'), 'a\uFFFDb\uFFFDc');
  });
});

describe('scrubber: markdown', () => {
  const s = new Scrubber();
  it('breaks [label](target) links and bare dangerous schemes', () => {
    assert.equal(
      s.message('[Click](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)'),
      '[Click] (command :workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)',
    );
    assert.equal(s.message('see [docs](https://example.com/a)'), 'see [docs] (https://example.com/a)');
    assert.equal(s.detail('![x](file:///etc/passwd)'), '![x] (file :///etc/passwd)');
  });
  it('breaks autolinks and scheme-only links', () => {
    assert.equal(s.message('<https://evil.example/x> or <command:x>'), '< https://evil.example/x> or < command :x>');
    assert.equal(s.message('javascript:alert(1) VSCODE://ms.x vscode-insiders:extension/x'), 'javascript :alert(1) VSCODE ://ms.x vscode-insiders :extension/x');
  });
  it('leaves look-alike prose readable and unchanged', () => {
    for (const line of ['config file: a.json', 'run the command: npm test', '[INFO] started', 'a [b] (c)', 'https://example.com/x']) {
      assert.equal(s.message(line), line);
    }
  });
  it('does not touch markdown in log lines', () => {
    assert.equal(s.log('[a](command:x)'), '[a](command:x)');
  });
});

describe('scrubber: caps', () => {
  const s = new Scrubber();
  it('caps each surface, ellipsis included', () => {
    assert.equal(s.message('x '.repeat(600)), `${'x '.repeat(249)}x…`);
    assert.equal(s.message('x '.repeat(600)).length, MESSAGE_MAX);
    assert.equal(s.detail('y\n'.repeat(5000)).length, DETAIL_MAX);
    assert.equal(s.log('z\n'.repeat(40_000)).length, LOG_MAX);
  });
  it('never splits a surrogate pair', () => {
    assert.equal(s.message('😀'.repeat(300)), `${'😀'.repeat(249)}…`);
  });
  it('drops a token cut by the input cap rather than showing half of it', () => {
    assert.equal(s.message(`ok ${'x'.repeat(5000)}`), 'ok …');
    assert.equal(s.message('a'.repeat(3 * 1024 * 1024)), '…');
  });
  it('leaves text within the cap as it is', () => {
    const line = 'w'.repeat(MESSAGE_MAX);
    assert.equal(s.message(line), line);
  });
});

describe('scrubber: inputs and URLs', () => {
  const s = new Scrubber();
  it('message takes anything', () => {
    assert.equal(s.message(new Error('boom token=abc')), 'boom token=***');
    assert.equal(s.message(new TypeError('')), 'TypeError');
    assert.equal(s.message(42), '42');
    assert.equal(s.message(undefined), 'undefined');
    assert.equal(
      s.message({
        toString: () => {
          throw new Error('no');
        },
      }),
      '(unprintable value)',
    );
  });
  it('url keeps scheme, host, port and path only', () => {
    assert.equal(s.url('https://user:pw@host.example:8443/a/b?token=x#frag'), 'https://host.example:8443/a/b');
    assert.equal(s.url(new URL('http://[::1]:3000/mcp?x=1')), 'http://[::1]:3000/mcp');
    assert.equal(s.url(`https://host/oauth/${JWS}`), 'https://host/oauth/***');
    assert.equal(s.url('command:workbench.action.x?[1]'), 'command :workbench.action.x');
    assert.equal(s.url('file:///tmp/x'), 'file :///tmp/x');
    assert.equal(s.url('not a url'), '(invalid URL)');
  });
  it('url masks keys in the path and keeps its words', () => {
    const cases: Array<[string, string]> = [
      ['https://mcp.example/v1/9f86d081884c7d659a2feaa0c55ad015/mcp', 'https://mcp.example/v1/***/mcp'],
      ['https://mcp.example/3F2C8E1A-7B4D-4C9E-A1F0-5D6B7C8E9F01/sse?k=1', 'https://mcp.example/***/sse'],
      ['https://mcp.example/k/Zk3qL9xWv2Rt8YpN4mBc7Hs/mcp', 'https://mcp.example/k/***/mcp'],
      ['https://mcp.example/u/user_Zk3qL9xWv2Rt8Y-pN4mBc7Hs/mcp', 'https://mcp.example/u/***/mcp'],
      ['https://mcp.example/ghp_0123456789abcdefghijABCDEFGHIJ012345/mcp', 'https://mcp.example/ghp_***/mcp'],
      ['https://mcp.example/sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56/mcp', 'https://mcp.example/sk-proj-***/mcp'],
      ['https://mcp.example/AKIAIOSFODNN7EXAMPLE/mcp', 'https://mcp.example/AKIA***/mcp'],
      ['https://mcp.example/xoxb-1234567890-0987654321-AbCdEfGhIjKl/mcp', 'https://mcp.example/xoxb-***/mcp'],
      ['https://mcp.example/keys/0123456789abcdef.json', 'https://mcp.example/keys/***.json'],
      // Words, versions and slugs stay.
      ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/mcp'],
      ['https://api.example/api/github/v1/sse', 'https://api.example/api/github/v1/sse'],
      ['https://as.example/.well-known/oauth-protected-resource/mcp', 'https://as.example/.well-known/oauth-protected-resource/mcp'],
      ['https://h/servers/my-github-server-2024/v1beta1/mcp', 'https://h/servers/my-github-server-2024/v1beta1/mcp'],
      ['https://h/realms/acme/protocol/openid-connect/token', 'https://h/realms/acme/protocol/openid-connect/token'],
      ['https://h/deadbeef/cafe/2024-06-01/mcp', 'https://h/deadbeef/cafe/2024-06-01/mcp'],
    ];
    for (const [input, shown] of cases) assert.equal(s.url(input), shown, input);
  });
  it('masks keys in the paths of URLs inside log lines, messages and details, not in content', () => {
    const line = 'POST https://h.example/v1/9f86d081884c7d659a2feaa0c55ad015/mcp?x=1 failed; retry wss://h.example/3f2c8e1a-7b4d-4c9e-a1f0-5d6b7c8e9f01/ws';
    const masked = 'POST https://h.example/v1/***/mcp?x=1 failed; retry wss://h.example/***/ws';
    assert.equal(s.log(line), masked);
    assert.equal(s.message(line), masked);
    assert.equal(s.detail(line), masked);
    // A tool's answer may link a commit or a document by its ID on purpose.
    assert.equal(s.content('see https://git.example/r/commit/9f86d081884c7d659a2feaa0c55ad015'), 'see https://git.example/r/commit/9f86d081884c7d659a2feaa0c55ad015');
  });
  it('urlPathKeys names the key-like parts of a path', () => {
    assert.deepEqual(urlPathKeys('https://h/v1/9f86d081884c7d659a2feaa0c55ad015/k/Zk3qL9xWv2Rt8YpN4mBc7Hs/mcp?q=1'), [
      '9f86d081884c7d659a2feaa0c55ad015',
      'Zk3qL9xWv2Rt8YpN4mBc7Hs',
    ]);
    assert.deepEqual(urlPathKeys('https://h/api/github/mcp'), []);
    assert.deepEqual(urlPathKeys('not a url'), []);
  });
  it('is idempotent: text scrubbed twice is scrubbed once', () => {
    const inputs = [...MASKED.map(([input]) => input), ...PROSE, '[a](command:x) <https://a> x\u202Ey', 'x '.repeat(600), '😀'.repeat(300)];
    for (const input of inputs) {
      assert.equal(s.log(s.log(input)), s.log(input));
      assert.equal(s.message(s.message(input)), s.message(input));
      assert.equal(s.detail(s.detail(input)), s.detail(input));
    }
  });
});

describe('commandLine: a stdio row names its program, never a value that may be secret', () => {
  const s = new Scrubber();
  const line = (command: string, ...args: string[]) => s.commandLine(command, args);

  it('names the package or script, so node- and npx-based servers differ', () => {
    assert.equal(line('npx', '-y', '@modelcontextprotocol/server-filesystem', '/home/me/project'), 'npx @modelcontextprotocol/server-filesystem …');
    assert.equal(line('npx', '-y', '@modelcontextprotocol/server-memory'), 'npx @modelcontextprotocol/server-memory');
    assert.equal(line('/usr/bin/node', '/home/me/servers/server.mjs'), 'node server.mjs');
    assert.equal(line('node', './weather.js'), 'node weather.js');
    assert.equal(line('node', '--inspect', 'server.mjs', 'x'), 'node server.mjs …');
    assert.equal(line('uvx', 'mcp-server-fetch'), 'uvx mcp-server-fetch');
    assert.equal(line('python', '-m', 'mcp_server_time', '--local-timezone=UTC'), 'python -m mcp_server_time …');
    assert.equal(line('docker', 'run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server'), 'docker run ghcr.io/github/github-mcp-server …');
    assert.equal(line('C:\\Program Files\\nodejs\\node.exe', 'C:\\Users\\me\\server.js'), 'node.exe server.js');
    assert.equal(line('npx'), 'npx');
  });

  it('leaves out flags and their values, variables, URLs, keys and remembered secrets, and says that something was left out', () => {
    const hostile: Array<[string, string[], string]> = [
      ['node', ['server.mjs', '--token', 'abc123secret'], 'node server.mjs …'],
      ['node', ['--token', 'abc.js'], 'node …'],
      ['node', ['--api-key=sk-abc123456789012345678901234', 'server.mjs'], 'node server.mjs …'],
      ['uvx', ['mcp-server-git', '--repository', '/home/me/private-repo'], 'uvx mcp-server-git …'],
      ['npx', ['my-server', 'hunter2password'], 'npx my-server …'],
      ['npx', ['my-server', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'], 'npx my-server …'],
      ['node', ['ghp_abcdefghijklmnopqrstuvwxyz0123456789'], 'node …'],
      ['node', ['sk-proj-abcdefghij0123456789abcdefghij'], 'node …'],
      ['npx', ['0123456789abcdef0123456789abcdef'], 'npx …'],
      ['npx', ['123e4567-e89b-12d3-a456-426614174000'], 'npx …'],
      ['npx', ['aB3dE5gH7jK9mN1pQ3sT5vX7'], 'npx …'],
      ['node', ['${input:api-key}'], 'node …'],
      ['node', ['${env:API_KEY}', 'server.mjs'], 'node …'],
      ['node', ['$API_KEY'], 'node …'],
      ['npx', ['-y', 'mcp-remote', 'https://host/mcp?key=abc'], 'npx mcp-remote …'],
      ['npx', ['api_key=abc123456'], 'npx …'],
      ['npx', ['user:password@host'], 'npx …'],
      ['bash', ['-c', 'curl -H "Authorization: Bearer x" https://x | sh'], 'bash …'],
      ['node', ['serv\u202eer.mjs'], 'node …'],
      ['node', ['[x](command:evil)'], 'node …'],
      ['/home/me/ghp_abcdefghijklmnopqrstuvwxyz0123456789/run', [], 'run'],
      ['/opt/ghp_abcdefghijklmnopqrstuvwxyz0123456789', [], '(command)'],
      ['node', ['/home/me/ghp_abcdefghijklmnopqrstuvwxyz0123456789/server.mjs'], 'node server.mjs'],
    ];
    for (const [command, args, expected] of hostile) assert.equal(s.commandLine(command, args), expected, JSON.stringify([command, ...args]));
    const remembered = new Scrubber();
    remembered.remember('correct-horse-battery');
    assert.equal(remembered.commandLine('npx', ['correct-horse-battery']), 'npx …', 'a value the hub knows is secret (an env value, an input)');
  });
});
