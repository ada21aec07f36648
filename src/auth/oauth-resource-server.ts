// The OAuth 2.1 resource server of the MCP authorization spec (2025-11-25): access tokens from
// the team's identity provider, checked as JWTs against the provider's published keys (JWKS),
// bound to this server's audience (RFC 8707), with scopes; the RFC 9728 metadata that tells a
// client where to get such a token; and the WWW-Authenticate challenges for 401 and 403.
// jose does the JOSE work (signature, claims, the key set's caching and refetch on rotation).

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";

export const READ_SCOPE = "media-jobs:read";
export const WRITE_SCOPE = "media-jobs:write";
export const SCOPES_SUPPORTED = [READ_SCOPE, WRITE_SCOPE] as const;

/** Asymmetric only: `none` and HS* (whose "key" would be the public key anyone can fetch) are refused. */
export const ACCEPTED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/** Clock difference between the identity provider and us that exp/nbf/iat tolerate. */
const CLOCK_LEEWAY_S = 30;

export interface OAuthSettings {
  /** The `iss` every token must carry, exactly as the identity provider writes it. */
  issuer: string;
  /** The `aud` every token must carry: this server's MCP endpoint URL (RFC 8707 resource). */
  audience: string;
  /** Where the keys are; found from the issuer's metadata when absent. */
  jwksUrl?: string;
}

export interface OAuthOptions {
  /** Least time between two JWKS fetches (a token with an unknown kid triggers one). */
  jwksCooldownMs?: number;
  /** How long a fetched key set is trusted before it is fetched again. */
  jwksCacheMaxAgeMs?: number;
}

export interface OAuthPrincipal {
  /** The owner of jobs: the issuer and the token's subject, so two providers' subjects never collide. */
  principal: string;
  scopes: Set<string>;
}

export type Authentication =
  | { ok: true; user: OAuthPrincipal }
  | { ok: false; status: 401; challenge: string; message: string }
  /** The identity provider's keys cannot be had now: not the token's fault, so not a 401. */
  | { ok: false; status: 503; message: string };

export class OAuthResourceServer {
  /** RFC 9728 §3.1: the well-known path inserted before the resource's own path. */
  readonly resourceMetadataUrl: string;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(
    readonly settings: OAuthSettings,
    private readonly options: OAuthOptions = {},
  ) {
    const resource = new URL(settings.audience);
    const resourcePath = resource.pathname === "/" ? "" : resource.pathname;
    this.resourceMetadataUrl = `${resource.origin}/.well-known/oauth-protected-resource${resourcePath}`;
  }

  /** The RFC 9728 protected resource metadata document. */
  metadata(): Record<string, unknown> {
    return {
      resource: this.settings.audience,
      authorization_servers: [this.settings.issuer],
      scopes_supported: [...SCOPES_SUPPORTED],
      bearer_methods_supported: ["header"],
      resource_name: "media-jobs-mcp",
    };
  }

  /** 401 challenge: where to get a token, which scopes to ask for, and why the given one failed. */
  unauthorizedChallenge(error?: { code: "invalid_token"; description: string }): string {
    const parts = [`resource_metadata="${this.resourceMetadataUrl}"`, `scope="${SCOPES_SUPPORTED.join(" ")}"`];
    if (error) parts.unshift(`error="${error.code}"`, `error_description="${quoteSafe(error.description)}"`);
    return `Bearer ${parts.join(", ")}`;
  }

  /** 403 step-up challenge (MCP spec "Scope Challenge Handling"): the scopes granted plus the ones needed. */
  insufficientScopeChallenge(user: OAuthPrincipal, needed: string): string {
    const scopes = [...new Set([...[...user.scopes].filter((scope) => (SCOPES_SUPPORTED as readonly string[]).includes(scope)), needed])];
    return `Bearer error="insufficient_scope", scope="${scopes.join(" ")}", resource_metadata="${this.resourceMetadataUrl}", error_description="this request needs the ${needed} scope"`;
  }

  async authenticate(authorization: string | undefined): Promise<Authentication> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match) {
      return { ok: false, status: 401, challenge: this.unauthorizedChallenge(), message: "Unauthorized: send an access token from the identity provider as Authorization: Bearer <token>" };
    }
    let payload: JWTPayload;
    try {
      const keys = await this.keySet();
      ({ payload } = await jwtVerify(match[1]!, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: CLOCK_LEEWAY_S,
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      if (keysUnavailable(error)) {
        return { ok: false, status: 503, message: `Service Unavailable: the identity provider's keys cannot be fetched now (${error instanceof Error ? error.message : String(error)}); try again shortly` };
      }
      const description = describeRefusal(error);
      return {
        ok: false,
        status: 401,
        challenge: this.unauthorizedChallenge({ code: "invalid_token", description }),
        message: `Unauthorized: the access token was refused (${description}); get a new one from ${this.settings.issuer}`,
      };
    }
    return { ok: true, user: { principal: `oauth:${this.settings.issuer}#${payload.sub}`, scopes: scopesOf(payload) } };
  }

  private keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return Promise.resolve(this.jwks);
    // One discovery at a time; a failed one is retried by the next request (the IdP may be back).
    this.discovering ??= this.discoverJwksUrl()
      .then((url) => {
        this.jwks = createRemoteJWKSet(new URL(url), {
          cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: this.options.jwksCacheMaxAgeMs ?? 10 * 60_000,
          timeoutDuration: 5_000,
        });
        return this.jwks;
      })
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  /** RFC 8414 then OpenID Connect Discovery, in the order the MCP spec gives clients. */
  private async discoverJwksUrl(): Promise<string> {
    if (this.settings.jwksUrl) return this.settings.jwksUrl;
    const issuer = new URL(this.settings.issuer);
    const issuerPath = issuer.pathname.replace(/\/+$/, "");
    const candidates = issuerPath
      ? [
          `${issuer.origin}/.well-known/oauth-authorization-server${issuerPath}`,
          `${issuer.origin}/.well-known/openid-configuration${issuerPath}`,
          `${issuer.origin}${issuerPath}/.well-known/openid-configuration`,
        ]
      : [`${issuer.origin}/.well-known/oauth-authorization-server`, `${issuer.origin}/.well-known/openid-configuration`];
    const failures: string[] = [];
    for (const candidate of candidates) {
      try {
        const response = await fetch(candidate, { signal: AbortSignal.timeout(5_000), headers: { accept: "application/json" }, redirect: "error" });
        if (!response.ok) {
          failures.push(`${candidate}: HTTP ${response.status}`);
          continue;
        }
        const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
        // RFC 8414 §3.3: metadata for another issuer must not be used.
        if (document.issuer !== this.settings.issuer) {
          failures.push(`${candidate}: names issuer ${JSON.stringify(document.issuer)}`);
          continue;
        }
        if (typeof document.jwks_uri !== "string") {
          failures.push(`${candidate}: no jwks_uri`);
          continue;
        }
        return document.jwks_uri;
      } catch (error) {
        failures.push(`${candidate}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new JwksDiscoveryError(`cannot find the identity provider's keys (${failures.join("; ")}); set MEDIA_JOBS_OAUTH_JWKS_URL`);
  }
}

class JwksDiscoveryError extends Error {}

/**
 * The identity provider could not give us its keys (down, slow, an error page): a 503, since a
 * 401 invalid_token would send a client with a good token back through sign-in for nothing.
 */
function keysUnavailable(error: unknown): boolean {
  if (error instanceof JwksDiscoveryError || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return true;
  // A network failure of the JWKS fetch (not a JOSE error at all), or jose's plain JOSEError for a non-200 answer.
  return !(error instanceof joseErrors.JOSEError) || error.constructor === joseErrors.JOSEError;
}

/** RFC 9068 `scope` (space-separated), or the `scp` list some providers use instead. */
function scopesOf(payload: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  if (typeof payload.scope === "string") for (const scope of payload.scope.split(" ")) if (scope) scopes.add(scope);
  const scp = payload.scp;
  if (Array.isArray(scp)) {
    for (const scope of scp) if (typeof scope === "string") scopes.add(scope);
  } else if (typeof scp === "string") {
    for (const scope of scp.split(" ")) if (scope) scopes.add(scope);
  }
  return scopes;
}

/** A short reason for the client; never the token itself. */
function describeRefusal(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "the token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "the token is for another audience";
    if (error.claim === "iss") return "the token is from another issuer";
    if (error.claim === "nbf") return "the token is not valid yet";
    return `the token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return "the token's signing algorithm is not accepted";
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "the token is signed with a key the identity provider does not publish";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature is not valid";
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return "the token is not a valid signed JWT";
  return "the token cannot be verified";
}

function quoteSafe(text: string): string {
  return text.replace(/["\\]/g, "");
}
