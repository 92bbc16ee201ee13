// The issuer policy on discovery: identical issuers pass; a trailing-slash difference passes with a
// warning; any other difference is refused unless auth.acceptIssuer names exactly that issuer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthSettings } from '../../src/core/config';
import { issuerOfMetadataUrl } from '../../src/core/oauth/configured-discovery';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { HubOAuthProvider } from '../../src/core/oauth/provider';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { systemClock } from '../../src/core/ports';
import { MemoryLogger } from '../helpers';

const AS = 'http://127.0.0.1:9/tenant';
const SERVER = 'http://127.0.0.1:8/mcp';

function discovery(issuer: string): OAuthDiscoveryState {
  return {
    authorizationServerUrl: AS,
    authorizationServerMetadata: {
      issuer,
      authorization_endpoint: `${AS}/authorize`,
      token_endpoint: `${AS}/token`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    },
  };
}

function provider(settings: AuthSettings, logger = new MemoryLogger()) {
  return {
    logger,
    p: new HubOAuthProvider({ serverUrl: SERVER, settings, store: new TokenStore(new MemorySecretStore()), mode: { kind: 'passive' }, logger, clock: systemClock }),
  };
}

describe('issuer policy', () => {
  it('accepts the identical issuer silently', async () => {
    const { p, logger } = provider({});
    await p.saveDiscoveryState(discovery(AS));
    assert.doesNotMatch(logger.text(), /issuer/);
  });

  it('accepts a trailing-slash difference, with a warning in the log', async () => {
    const { p, logger } = provider({});
    await p.saveDiscoveryState(discovery(`${AS}/`));
    assert.match(logger.text(), /^warn .*differs from its URL by a trailing slash/m);
  });

  it('refuses any other difference, and says how to accept it', async () => {
    for (const issuer of ['http://127.0.0.1:9/other', 'http://127.0.0.1:9', 'https://evil.example/tenant']) {
      const { p } = provider({});
      await assert.rejects(
        p.saveDiscoveryState(discovery(issuer)),
        (e: unknown) => isOAuthFlowError(e, 'metadata_issuer_mismatch') && /auth\.acceptIssuer/.test(e.message) && !/evil|other/.test(e.message),
      );
    }
  });

  it('accepts exactly the issuer auth.acceptIssuer names, and no other', async () => {
    const named = 'http://127.0.0.1:9/tenant/v2.0';
    const { p, logger } = provider({ acceptIssuer: named });
    await p.saveDiscoveryState(discovery(named));
    assert.match(logger.text(), /accepting it as auth\.acceptIssuer says/);
    const other = provider({ acceptIssuer: named });
    await assert.rejects(other.p.saveDiscoveryState(discovery('http://127.0.0.1:9/tenant/v3.0')), (e: unknown) => isOAuthFlowError(e, 'metadata_issuer_mismatch'));
  });
});

describe('auth.metadata: the issuer a metadata URL is for', () => {
  it('is the issuer its well-known path names, inserted after the origin or appended', () => {
    const cases: Array<[string, string | undefined]> = [
      ['https://as.example.com/.well-known/oauth-authorization-server', 'https://as.example.com'],
      ['https://as.example.com/.well-known/oauth-authorization-server/tenant1', 'https://as.example.com/tenant1'],
      ['https://as.example.com/.well-known/openid-configuration/tenant1', 'https://as.example.com/tenant1'],
      ['https://kc.example.com/realms/mcp/.well-known/openid-configuration', 'https://kc.example.com/realms/mcp'],
      ['https://acme.okta.com/oauth2/default/.well-known/oauth-authorization-server', 'https://acme.okta.com/oauth2/default'],
      // Anywhere else, or with a query: none, and the document must name an issuer on its own origin.
      ['https://as.example.com/metadata.json', undefined],
      ['https://as.example.com/.well-known/openid-configuration?client_id=x', undefined],
    ];
    for (const [url, issuer] of cases) assert.equal(issuerOfMetadataUrl(url), issuer, url);
  });
});
