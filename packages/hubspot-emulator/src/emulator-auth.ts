/** Bearer-token authentication and scope checks, with runtime revocation for tests. */
import { HubSpotApiError, InvalidControlInput } from './emulator-error.js';

export interface AuthSettings {
  /** Only these tokens are accepted; `null` or absent accepts any non-empty bearer token. */
  tokens?: string[] | null;
  /** Every token is refused with 401 (the app was uninstalled or its token rotated). */
  revoked?: boolean;
  /** `true`: every CRM call gets 403; a list: calls needing one of these scopes get 403. */
  missingScopes?: boolean | string[];
}

export interface AuthReport {
  acceptsAnyToken: boolean;
  acceptedTokenCount: number;
  revoked: boolean;
  missingScopes: boolean | string[];
}

const AUTH_MISSING_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export class EmulatorAuth {
  private acceptedTokens: Set<string> | undefined;
  private revoked = false;
  private missingScopes: boolean | Set<string> = false;

  constructor(private readonly initialTokens: readonly string[] | undefined) {
    this.reset();
  }

  reset(): void {
    this.acceptedTokens = this.initialTokens ? new Set(this.initialTokens) : undefined;
    this.revoked = false;
    this.missingScopes = false;
  }

  configure(input: unknown): AuthReport {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new InvalidControlInput('auth: expected an object like {"revoked":true}');
    }
    const settings = input as Record<string, unknown>;
    if (settings.revoked !== undefined) {
      if (typeof settings.revoked !== 'boolean') throw new InvalidControlInput('auth.revoked must be a boolean');
      this.revoked = settings.revoked;
    }
    if (settings.missingScopes !== undefined) {
      const scopes = settings.missingScopes;
      if (typeof scopes === 'boolean') this.missingScopes = scopes;
      else if (Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string')) {
        this.missingScopes = new Set(scopes);
      } else throw new InvalidControlInput('auth.missingScopes must be a boolean or an array of scope names');
    }
    if (settings.tokens !== undefined) {
      const tokens = settings.tokens;
      if (tokens === null) this.acceptedTokens = undefined;
      else if (Array.isArray(tokens) && tokens.every((token) => typeof token === 'string' && token !== '')) {
        this.acceptedTokens = new Set(tokens as string[]);
      } else throw new InvalidControlInput('auth.tokens must be null or an array of non-empty strings');
    }
    return this.report();
  }

  report(): AuthReport {
    return {
      acceptsAnyToken: this.acceptedTokens === undefined,
      acceptedTokenCount: this.acceptedTokens?.size ?? 0,
      revoked: this.revoked,
      missingScopes: typeof this.missingScopes === 'boolean' ? this.missingScopes : [...this.missingScopes],
    };
  }

  /** The bearer token of an acceptable request, or the 401 HubSpot answers. */
  authenticate(authorization: string | undefined): string | HubSpotApiError {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    const accepted =
      token !== undefined && !this.revoked && (this.acceptedTokens === undefined || this.acceptedTokens.has(token));
    return accepted ? token : new HubSpotApiError(401, 'INVALID_AUTHENTICATION', AUTH_MISSING_MESSAGE);
  }

  /** The 403 HubSpot answers when the app lacks `scope`, else undefined. */
  authorize(scope: string): HubSpotApiError | undefined {
    const missing = this.missingScopes === true || (this.missingScopes instanceof Set && this.missingScopes.has(scope));
    if (!missing) return undefined;
    return new HubSpotApiError(
      403,
      'MISSING_SCOPES',
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      {
        errors: [
          {
            message: 'One or more of the following scopes are required.',
            context: { requiredGranularScopes: [scope] },
          },
        ],
        links: { scopes: 'https://developers.hubspot.com/scopes' },
      },
    );
  }
}
