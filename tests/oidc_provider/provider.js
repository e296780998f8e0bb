// A real OpenID provider for the tests: oidc-provider (certified) on a loopback port.
//
//   node provider.js <port>
//
// Prints "ready <issuer>" once it listens. Test-only additions, reachable on loopback only and
// guarded by the CONTROL_TOKEN from the environment:
//   POST /__test/accounts  {sub, email, email_verified, name}   an account the login form accepts
//   POST /__test/tamper    {iss?, aud?, exp?, nonce?}           the next ID token is re-signed
//                                                              with these claims (a misbehaving provider)
// Clients register themselves through the standard registration endpoint (RFC 7591).
// The login page is oidc-provider's development interaction: type the account's sub as "login".
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const control = process.env.CONTROL_TOKEN || '';
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const accounts = new Map();
let tamper = null;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-key-not-secret'] },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // First-party client: no consent screen after the login.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { ...account, sub } } };
  },
});

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && tamper && ctx.body?.id_token) {
    const claims = { ...decodeJwt(ctx.body.id_token), ...tamper };
    const header = decodeProtectedHeader(ctx.body.id_token);
    tamper = null;
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(await importJWK(signingKey)) };
  }
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body || '{}');
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  if (req.url.startsWith('/__test/')) {
    if (!control || req.headers.authorization !== `Bearer ${control}`) {
      res.writeHead(403).end();
      return;
    }
    const body = await readJson(req);
    if (req.url === '/__test/accounts') accounts.set(body.sub, { email: body.email, email_verified: body.email_verified ?? true, name: body.name });
    else if (req.url === '/__test/tamper') tamper = body;
    else { res.writeHead(404).end(); return; }
    res.writeHead(204).end();
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
