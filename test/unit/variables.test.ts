import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../../src/core/config';
import { inlineSecrets, inputReference, resolveInputs, resolveStatic, rewriteWithInput, suggestInputName, variablesIn, type VariableContext } from '../../src/core/variables';

const base = { source: 'user', disabled: false, timeoutSeconds: 60, tools: {}, protocolVersion: 'auto' } as const;
const stdio = (fields: Partial<StdioServerConfig> = {}): StdioServerConfig => ({
  ...base,
  name: 'fs',
  type: 'stdio',
  command: 'node',
  args: [],
  env: {},
  ...fields,
});
const remote = (fields: Partial<RemoteServerConfig> = {}): RemoteServerConfig => ({
  ...base,
  name: 'api',
  type: 'http',
  url: 'https://mcp.example.com/mcp',
  headers: {},
  ...fields,
});

const ctx: VariableContext = {
  userHome: '/home/ada',
  workspaceFolder: '/work/project',
  workspaceOpen: true,
  env: { TOKEN_FILE: '/run/token', EMPTY: '' },
};

function resolved(config: ServerConfig, context: VariableContext = ctx): ServerConfig {
  const r = resolveStatic(config, context);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.config;
}
function refused(config: ServerConfig, context: VariableContext = ctx) {
  const r = resolveStatic(config, context);
  assert.ok(!r.ok, 'expected resolveStatic to refuse');
  return r;
}
const reader =
  (values: Record<string, string>, asked: string[] = []) =>
  async (name: string) => {
    asked.push(name);
    return values[name];
  };

type Field = { label: string; make: (v: string) => ServerConfig; read: (c: ServerConfig) => string | undefined };
const fields: Field[] = [
  { label: 'command', make: (v) => stdio({ command: v }), read: (c) => (c as StdioServerConfig).command },
  { label: 'args[1]', make: (v) => stdio({ args: ['-y', v] }), read: (c) => (c as StdioServerConfig).args[1] },
  { label: 'env.CONFIG', make: (v) => stdio({ env: { CONFIG: v } }), read: (c) => (c as StdioServerConfig).env.CONFIG },
  { label: 'cwd', make: (v) => stdio({ cwd: v }), read: (c) => (c as StdioServerConfig).cwd },
  { label: 'url', make: (v) => remote({ url: `https://mcp.example.com/?at=${v}` }), read: (c) => new URL((c as RemoteServerConfig).url).searchParams.get('at') ?? undefined },
  { label: 'headers.X-Path', make: (v) => remote({ headers: { 'X-Path': v } }), read: (c) => (c as RemoteServerConfig).headers['X-Path'] },
  ...(['clientId', 'clientSecret', 'issuer', 'scope', 'clientMetadataUrl', 'privateKey', 'privateKeyAlg'] as const).map((key): Field => ({
    label: `auth.${key}`,
    make: (v) => remote({ auth: { [key]: v } }),
    read: (c) => c.auth?.[key],
  })),
];

describe('variables: ${userHome}, ${workspaceFolder}, ${env:NAME}', () => {
  for (const field of fields) {
    it(`substitutes each one in ${field.label}`, () => {
      assert.equal(field.read(resolved(field.make('${userHome}/.cfg'))), '/home/ada/.cfg');
      assert.equal(field.read(resolved(field.make('${workspaceFolder}/src'))), '/work/project/src');
      assert.equal(field.read(resolved(field.make('pre-${env:TOKEN_FILE}-post'))), 'pre-/run/token-post');
      assert.equal(field.read(resolved(field.make('${userHome}${workspaceFolder}'))), '/home/ada/work/project');
    });
  }

  it('reads an unset environment variable as empty, as VS Code does', () => {
    const c = resolved(stdio({ args: ['a${env:NOT_SET}b', '${env:EMPTY}'] })) as StdioServerConfig;
    assert.deepEqual(c.args, ['ab', '']);
    const proto = resolved(stdio({ args: ['${env:constructor}', '${env:__proto__}', '${env:toString}'] }), { ...ctx, env: process.env }) as StdioServerConfig;
    assert.deepEqual(proto.args, ['', '', '']);
  });

  it('leaves ${input:…} references for resolveInputs', () => {
    const c = resolved(stdio({ args: ['--token=${input:gh.token}'] })) as StdioServerConfig;
    assert.deepEqual(c.args, ['--token=${input:gh.token}']);
  });

  it('keeps every other field as it was', () => {
    const config = remote({ timeoutSeconds: 5, tools: { deny: ['rm'] }, auth: { clientId: 'id', callbackPort: 33418, grantType: 'client_credentials', signInTimeout: 9 } });
    assert.deepEqual(resolved(config), config);
  });

  it('takes Windows paths with "$" and "\\" in them literally', () => {
    const windows: VariableContext = { userHome: 'C:\\Users\\a$&b$1', workspaceFolder: 'D:\\src\\$`x', env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' } };
    const c = resolved(stdio({ command: '${userHome}\\bin\\tool.exe', args: ['${workspaceFolder}\\x', '${env:APPDATA}\\app'], cwd: '${userHome}' }), windows) as StdioServerConfig;
    assert.equal(c.command, 'C:\\Users\\a$&b$1\\bin\\tool.exe');
    assert.deepEqual(c.args, ['D:\\src\\$`x\\x', 'C:\\Users\\a\\AppData\\Roaming\\app']);
    assert.equal(c.cwd, 'C:\\Users\\a$&b$1');
  });

  it('keeps a lone "$", "{", "}" or an unclosed "${" literal', () => {
    const args = ['$', '{', '}', '$HOME', '$ {userHome}', '{userHome}', 'a${userHome', 'price: $5 {x}', '$$', '${userHome}}'];
    const c = resolved(stdio({ args })) as StdioServerConfig;
    assert.deepEqual(c.args, ['$', '{', '}', '$HOME', '$ {userHome}', '{userHome}', 'a${userHome', 'price: $5 {x}', '$$', '/home/ada}']);
  });
});

describe('variables: refusals', () => {
  it('${workspaceFolder} waits for trust in an untrusted workspace, naming the field', () => {
    const r = refused(stdio({ args: ['a', 'b', '${workspaceFolder}/data'] }), { ...ctx, workspaceFolder: undefined, workspaceOpen: true });
    assert.equal(r.reason, 'untrusted');
    assert.equal(r.message, 'mcpHub.servers.fs.args[2] uses ${workspaceFolder}; trust the workspace to start it.');
  });

  it('${workspaceFolder} with no folder open says so', () => {
    const r = refused(stdio({ cwd: '${workspaceFolder}' }), { userHome: '/home/ada', env: {} });
    assert.equal(r.reason, 'noFolder');
    assert.equal(r.message, 'mcpHub.servers.fs.cwd uses ${workspaceFolder}; open a folder to start it.');
  });

  it('a config without ${workspaceFolder} starts without trust or a folder', () => {
    const c = resolved(stdio({ args: ['${userHome}'] }), { userHome: '/h', env: {}, workspaceOpen: true }) as StdioServerConfig;
    assert.deepEqual(c.args, ['/h']);
  });

  const unknown: Array<[string, string, RegExp]> = [
    ['${HOME}', 'mcpHub.servers.fs.args[0]: ${HOME} is not a variable MCP Hub knows; use ${userHome} or ${env:HOME}.', /./],
    ['${USERPROFILE}', '', /use \$\{userHome\} or \$\{env:USERPROFILE\}/],
    ['${userhome}', '', /write \$\{userHome\}/],
    ['${PATH}', '', /write \$\{env:PATH\} to read an environment variable/],
    ['${foo}', '', /\$\{foo\} is not a variable MCP Hub knows; the variables are \$\{userHome\}, \$\{workspaceFolder\}, \$\{env:NAME\} and \$\{input:NAME\}/],
    ['${config:editor.fontSize}', '', /settings and command variables are not supported/],
    ['${command:pickFile}', '', /settings and command variables are not supported/],
    ['${workspaceFolder:api}', '', /use \$\{workspaceFolder\}/],
    ['${workspaceFolderBasename}', '', /use \$\{workspaceFolder\}/],
    ['${}', '', /a \$\{…\} reference is not a variable MCP Hub knows/],
    ['${env:}', '', /does not name an environment variable/],
    ['${env:A B}', '', /does not name an environment variable/],
    ['${input:}', '', /invalid input name/],
    ['${input:a/b}', '', /invalid input name/],
    ['${input:' + 'x'.repeat(65) + '}', '', /invalid input name/],
    ['${env:${input:x}}', '', /does not name an environment variable/],
  ];
  for (const [value, exact, pattern] of unknown) {
    it(`refuses ${value.length > 40 ? value.slice(0, 40) + '…' : value} with a message naming the field`, () => {
      const r = refused(stdio({ args: [value] }));
      assert.equal(r.reason, 'invalid');
      if (exact) assert.equal(r.message, exact);
      assert.match(r.message, pattern);
      assert.ok(r.message.startsWith('mcpHub.servers.fs.args[0]: '), r.message);
    });
  }

  it('names the field of the first unknown variable, in headers and auth too', () => {
    assert.match(refused(remote({ headers: { 'X-Home': '${HOME}' } })).message, /^mcpHub\.servers\.api\.headers\.X-Home: /);
    assert.match(refused(remote({ auth: { clientSecret: '${secret}' } })).message, /^mcpHub\.servers\.api\.auth\.clientSecret: /);
  });

  it('an unknown variable is reported before missing trust, which would not fix it', () => {
    const r = refused(stdio({ args: ['${workspaceFolder}', '${HOME}'] }), { ...ctx, workspaceFolder: undefined });
    assert.equal(r.reason, 'invalid');
  });
});

describe('variables: ${input:NAME}', () => {
  it('substitutes inputs in every field and reports the values used as secrets', async () => {
    for (const field of fields) {
      const s = resolved(field.make('${input:v}-${userHome}'));
      const r = await resolveInputs(s, reader({ v: 'S3cr3t' }));
      assert.ok(r.ok, field.label);
      assert.equal(field.read(r.config), 'S3cr3t-/home/ada', field.label);
      assert.deepEqual(r.secrets, ['S3cr3t']);
    }
  });

  it('lists every missing input once, in order, and asks for each once', async () => {
    const asked: string[] = [];
    const s = resolved(stdio({ command: '${input:b}', args: ['${input:a}', '${input:b}', '${input:c}'], env: { K: '${input:a}' } }));
    const r = await resolveInputs(s, reader({ c: 'set' }, asked));
    assert.deepEqual(r, { ok: false, missing: ['b', 'a'] });
    assert.deepEqual(asked, ['b', 'a', 'c']);
  });

  it('treats an empty stored value as missing', async () => {
    const r = await resolveInputs(resolved(stdio({ args: ['${input:x}'] })), reader({ x: '' }));
    assert.deepEqual(r, { ok: false, missing: ['x'] });
  });

  it('a config without inputs resolves without reading anything', async () => {
    const asked: string[] = [];
    const r = await resolveInputs(resolved(stdio({ args: ['${userHome}'] })), reader({}, asked));
    assert.ok(r.ok);
    assert.deepEqual(r.secrets, []);
    assert.deepEqual(asked, []);
  });
});

describe('variables: one pass', () => {
  const hostileEnv: VariableContext = {
    ...ctx,
    env: { A: '${input:token}', B: '${workspaceFolder}', C: '${env:TOKEN_FILE}', D: '${userHome}' },
  };

  it('text an environment variable expands to is not expanded again', async () => {
    const asked: string[] = [];
    const s = resolved(stdio({ args: ['${env:A}', '${env:B}', '${env:C}', '${env:D}'] }), hostileEnv);
    assert.deepEqual((s as StdioServerConfig).args, ['${input:token}', '${workspaceFolder}', '${env:TOKEN_FILE}', '${userHome}']);
    const r = await resolveInputs(s, reader({ token: 'NEVER' }, asked));
    assert.ok(r.ok);
    assert.deepEqual((r.config as StdioServerConfig).args, ['${input:token}', '${workspaceFolder}', '${env:TOKEN_FILE}', '${userHome}']);
    assert.deepEqual(asked, [], 'no input was read for a reference that came from the environment');
    assert.deepEqual(variablesIn(s).inputs, []);
  });

  it('${workspaceFolder} from the environment does not need trust, and is not expanded', () => {
    const s = resolved(stdio({ cwd: '${env:B}' }), { ...hostileEnv, workspaceFolder: undefined });
    assert.equal((s as StdioServerConfig).cwd, '${workspaceFolder}');
  });

  it('an input value is not expanded, in either order of the two steps', async () => {
    const values = { x: '${userHome}${env:TOKEN_FILE}${input:y}${workspaceFolder}', y: 'Y' };
    const template = stdio({ args: ['${input:x}', '${userHome}'] });

    const staticFirst = await resolveInputs(resolved(template), reader(values));
    assert.ok(staticFirst.ok);
    assert.deepEqual((staticFirst.config as StdioServerConfig).args, [values.x, '/home/ada']);

    const inputsFirst = await resolveInputs(template, reader(values));
    assert.ok(inputsFirst.ok);
    assert.deepEqual((inputsFirst.config as StdioServerConfig).args, [values.x, '${userHome}']);
    const then = resolved(inputsFirst.config);
    assert.deepEqual((then as StdioServerConfig).args, [values.x, '/home/ada']);
  });

  it('a folder path that looks like a variable stays literal', () => {
    const c = resolved(stdio({ args: ['${workspaceFolder}', '${userHome}'] }), { userHome: '${input:a}', workspaceFolder: '/x/${env:B}', env: { B: 'no' } });
    assert.deepEqual((c as StdioServerConfig).args, ['/x/${env:B}', '${input:a}']);
  });
});

describe('variablesIn', () => {
  it('lists inputs and environment variables once each, in order of appearance', () => {
    const v = variablesIn(
      stdio({
        command: '${env:TOOL}',
        args: ['${input:b}', '${input:a}', '${env:TOOL}', '${workspaceFolder}', '${input:b}'],
        env: { X: '${env:HOME}' },
        auth: { clientSecret: '${input:c}' },
      }),
    );
    assert.deepEqual(v, { inputs: ['b', 'a', 'c'], workspaceFolder: true, env: ['TOOL', 'HOME'] });
  });

  it('finds nothing in a plain entry, and ignores invalid references', () => {
    assert.deepEqual(variablesIn(remote({ headers: { A: '${input:../x}', B: '${foo}' } })), { inputs: [], workspaceFolder: false, env: [] });
  });
});

describe('inline secrets', () => {
  it('reports clientSecret and privateKey written as text, not references', () => {
    assert.deepEqual(inlineSecrets(remote({ auth: { clientId: 'id', clientSecret: 's3cret', privateKey: '-----BEGIN PRIVATE KEY-----' } })), [
      'auth.clientSecret',
      'auth.privateKey',
    ]);
    assert.deepEqual(inlineSecrets(remote({ auth: { clientId: 'id', clientSecret: '${input:api.clientSecret}', privateKey: '${env:KEY}' } })), []);
    assert.deepEqual(inlineSecrets(remote({ auth: { clientId: 'id', clientSecret: 'prefix-${input:x}' } })), ['auth.clientSecret']);
    assert.deepEqual(inlineSecrets(remote({ auth: { clientId: 'id', privateKey: '${userHome}' } })), ['auth.privateKey']);
    assert.deepEqual(inlineSecrets(remote()), []);
  });

  it('judges the entry as written, not as resolved', async () => {
    const r = await resolveInputs(remote({ auth: { clientId: 'id', clientSecret: '${input:s}' } }), reader({ s: 'value' }));
    assert.ok(r.ok);
    assert.equal(r.config.auth?.clientSecret, 'value');
    assert.deepEqual(inlineSecrets(r.config), []);
  });
});

describe('moving a secret into an input', () => {
  it('suggests an input name from the server name, within the allowed characters', () => {
    assert.equal(suggestInputName('github', 'auth.clientSecret'), 'github.clientSecret');
    assert.equal(suggestInputName('my server/prod}', 'auth.privateKey'), 'my_server_prod_.privateKey');
    const long = suggestInputName('x'.repeat(200), 'auth.clientSecret');
    assert.ok(long.length <= 64 - 4 && /^[A-Za-z0-9_.-]+$/.test(long), long);
    assert.equal(inputReference('github.clientSecret'), '${input:github.clientSecret}');
  });

  it('rewrites that one field of that one entry, in a deep copy', () => {
    const servers = {
      api: { url: 'https://a.example/mcp', headers: { A: 'b' }, auth: { clientId: 'id', clientSecret: 'inline', privateKey: 'pk', scope: 's' } },
      other: { command: 'node', auth: { clientId: 'id2', clientSecret: 'other-secret' } },
    };
    const snapshot = structuredClone(servers);
    const next = rewriteWithInput(servers, 'api', 'auth.clientSecret', 'api.clientSecret');
    assert.deepEqual(servers, snapshot, 'the value read from settings is not changed');
    assert.deepEqual(next, {
      api: { url: 'https://a.example/mcp', headers: { A: 'b' }, auth: { clientId: 'id', clientSecret: '${input:api.clientSecret}', privateKey: 'pk', scope: 's' } },
      other: { command: 'node', auth: { clientId: 'id2', clientSecret: 'other-secret' } },
    });
    assert.notEqual(next.other, servers.other);
    const pk = rewriteWithInput(next, 'api', 'auth.privateKey', 'api.privateKey') as { api: { auth: Record<string, string> } };
    assert.equal(pk.api.auth.privateKey, '${input:api.privateKey}');
    assert.equal(pk.api.auth.clientSecret, '${input:api.clientSecret}');
  });

  it('refuses an entry or field that is not there, or a bad input name', () => {
    assert.throws(() => rewriteWithInput({ api: {} }, 'nope', 'auth.clientSecret', 'n'), /has no entry "nope"/);
    assert.throws(() => rewriteWithInput(undefined, 'api', 'auth.clientSecret', 'n'), /has no entry "api"/);
    assert.throws(() => rewriteWithInput({ api: { auth: {} } }, 'api', 'auth.clientSecret', 'n'), /auth\.clientSecret is not set/);
    assert.throws(() => rewriteWithInput({ api: { auth: { clientSecret: 'x' } } }, 'api', 'auth.clientSecret', '../x'), /not a valid input name/);
    assert.throws(() => rewriteWithInput({}, 'toString', 'auth.clientSecret', 'n'), /has no entry "toString"/);
  });
});
