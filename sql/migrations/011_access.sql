-- Who may see what (issue #19): dashboard users with per-site roles, their API tokens,
-- server-side dashboard sessions, and read-only share links.
--
-- Secrets are never stored: passwords as Argon2id hashes (argon2-cffi), API tokens, session
-- ids and share tokens as SHA-256 digests (they are 128+ random bits, so a fast hash is
-- enough, and it lets a request find its row by the digest). Small tables: a Citus
-- deployment keeps them as reference tables beside `sites`.

CREATE TABLE users (
    user_id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    password_hash       text NOT NULL,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- A user sees a site only with a row here: `view` reads its reports, `admin` also manages
-- its share links (and whatever else is site-scoped: goals, dimensions).
CREATE TABLE user_sites (
    user_id bigint  NOT NULL REFERENCES users ON DELETE CASCADE,
    site_id integer NOT NULL REFERENCES sites ON DELETE CASCADE,
    role    text    NOT NULL CHECK (role IN ('view', 'admin')),
    PRIMARY KEY (user_id, site_id)
);

-- One API token per user (`collector user token NAME` replaces it).
CREATE TABLE user_tokens (
    token_digest bytea  PRIMARY KEY CHECK (length(token_digest) = 32),
    user_id      bigint NOT NULL UNIQUE REFERENCES users ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Dashboard logins. user_id NULL: the superuser, who logged in with COLLECTOR_API_TOKEN;
-- token_mark (an HMAC of that token) ends such a session when the token changes. A row
-- goes at logout, at the user's password change or deletion, and once expired.
CREATE TABLE dashboard_sessions (
    session_digest bytea PRIMARY KEY CHECK (length(session_digest) = 32),
    user_id        bigint REFERENCES users ON DELETE CASCADE,
    token_mark     bytea,
    csrf           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    CHECK ((user_id IS NULL) = (token_mark IS NOT NULL))
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

-- Read-only links to one site's dashboard; cards NULL shows every card. A revoked link is
-- kept (revoked_at) so `share list` can show it went; it answers 404 like an unknown one.
CREATE TABLE share_links (
    share_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      integer NOT NULL REFERENCES sites ON DELETE CASCADE,
    token_digest bytea   NOT NULL UNIQUE CHECK (length(token_digest) = 32),
    cards        text[],
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
