// A loopback identity provider for the OAuth tests: RFC 8414 metadata and a JWKS whose keys a
// test can rotate or break, with signing keys made here by jose.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
export interface SigningKey {
  kid: string;
  pair: KeyPair;
  publicJwk: JWK;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  return { kid, pair, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" } };
}

/** RFC 8414 metadata and a JWKS of `published`; `failJwks` makes the key set answer 500. */
export class FakeIdentityProvider {
  published: SigningKey[] = [];
  failJwks = false;
  readonly requests: string[] = [];
  private server = http.createServer((request, response) => {
    this.requests.push(request.url ?? "");
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.url === "/.well-known/oauth-authorization-server") {
      return send(200, { issuer: this.issuer, jwks_uri: `${this.issuer}/jwks`, token_endpoint: `${this.issuer}/token`, authorization_endpoint: `${this.issuer}/authorize` });
    }
    if (request.url === "/jwks" && this.failJwks) return send(500, { error: "down" });
    if (request.url === "/jwks") return send(200, { keys: this.published.map((key) => key.publicJwk) });
    send(404, { error: "not found" });
  });
  issuer = "";

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface AccessTokenClaims {
  iss: string;
  aud: string;
  sub?: string;
  /** Space-separated; both media-jobs scopes unless given. */
  scope?: string;
  /** Unix seconds; ten minutes from now unless given. */
  exp?: number;
  nbf?: number;
}

/** An RFC 9068 access token (JWT) signed with `key`, as the identity provider would issue it. */
export function signAccessToken(key: SigningKey, claims: AccessTokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: claims.scope ?? "media-jobs:read media-jobs:write" })
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt" })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(claims.sub ?? "alice")
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 600);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(key.pair.privateKey);
}
