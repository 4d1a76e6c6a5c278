"""A database that does not trust its app role: row-level security on a scope the app server
vouches for with an HMAC, and organisation data changed only in the ways the app may change it
(PostgreSQL only).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Why: with 0002 the policies read ``app.organisations``, which any SQL on the app's role may set
(``'*'`` read every council). Now the policies read only ``aam_vouched()``, a ``SECURITY
DEFINER`` function that recomputes HMAC-SHA256 of the transaction's ``aam.scope`` setting with a
key stored in ``aam_scope_key``, a table only the owner can read (``geo.db.vouch`` signs on the
app server). A scope is for one database session and expires; ``*`` is refused.

What the app role may still do is only what the app does: read rows in scope; add batches, site
versions (closing the open one: ``valid_to`` set once, nothing else), rejections, proposals,
decisions, procurements, check settings and export traces; never update or delete them.
Members, organisations, agreements, access settings and personal tokens change only through
functions that check a vouched admin scope; audit rows are appended only by ``aam_audit_append``, which computes the
hash chain itself. The owner role keeps what those functions need (they run as the owner).

Frozen: this file never imports the application's code.
"""
from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VOUCHED = r"""
CREATE TABLE aam_scope_key (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    inner_pad BYTEA NOT NULL CHECK (length(inner_pad) = 64),
    outer_pad BYTEA NOT NULL CHECK (length(outer_pad) = 64),
    installed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
REVOKE ALL ON aam_scope_key FROM PUBLIC;

CREATE FUNCTION aam_vouched(OUT vouched BOOLEAN, OUT member TEXT, OUT orgs TEXT[], OUT admin_of TEXT[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    scope TEXT := current_setting('aam.scope', true);
    signature TEXT;
    payload TEXT;
    parts TEXT[];
    k RECORD;
BEGIN
    vouched := false; member := NULL; orgs := '{}'; admin_of := '{}';
    IF scope IS NULL OR scope = '' THEN
        RETURN;
    END IF;
    signature := split_part(scope, ':', 1);
    payload := substr(scope, length(signature) + 2);
    SELECT inner_pad, outer_pad INTO k FROM aam_scope_key WHERE one = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'scope refused: no scope key is installed (run python -m geo db upgrade with AAM_SCOPE_KEY set)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to(payload, 'UTF8'))), 'hex')
            IS DISTINCT FROM signature THEN
        RAISE EXCEPTION 'scope refused: not vouched for by the app server (its signature does not match)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    parts := string_to_array(payload, '|');
    IF cardinality(parts) <> 6 OR parts[1] <> 'v1' THEN
        RAISE EXCEPTION 'scope refused: malformed' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF parts[5] <> pg_backend_pid()::TEXT THEN
        RAISE EXCEPTION 'scope refused: it was signed for another database session'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF parts[6]::BIGINT < extract(epoch FROM now()) THEN
        RAISE EXCEPTION 'scope refused: expired' USING ERRCODE = 'insufficient_privilege';
    END IF;
    member := NULLIF(parts[2], '');
    orgs := COALESCE(string_to_array(NULLIF(parts[3], ''), ','), '{}');
    admin_of := COALESCE(string_to_array(NULLIF(parts[4], ''), ','), '{}');
    IF '*' = ANY (orgs) OR '*' = ANY (admin_of) THEN
        RAISE EXCEPTION 'scope refused: * is never a scope' USING ERRCODE = 'insufficient_privilege';
    END IF;
    vouched := true;
END $$;

CREATE FUNCTION aam_orgs() RETURNS TEXT[] LANGUAGE sql STABLE SET search_path = pg_catalog, public
AS $$ SELECT orgs FROM aam_vouched() $$;
CREATE FUNCTION aam_admin_orgs() RETURNS TEXT[] LANGUAGE sql STABLE SET search_path = pg_catalog, public
AS $$ SELECT admin_of FROM aam_vouched() $$;
CREATE FUNCTION aam_member() RETURNS TEXT LANGUAGE sql STABLE SET search_path = pg_catalog, public
AS $$ SELECT member FROM aam_vouched() $$;
CREATE FUNCTION aam_is_vouched() RETURNS BOOLEAN LANGUAGE sql STABLE SET search_path = pg_catalog, public
AS $$ SELECT vouched FROM aam_vouched() $$;

CREATE FUNCTION aam_require_admin(org TEXT) RETURNS VOID LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public AS $$
BEGIN
    IF org IS NULL OR NOT (org = ANY (aam_admin_orgs())) THEN
        RAISE EXCEPTION 'refused: no vouched admin scope over %', COALESCE(org, '(none)')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

CREATE FUNCTION aam_known_organisations() RETURNS TEXT[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
    SELECT COALESCE(array_agg(DISTINCT code ORDER BY code), '{}') FROM (
        SELECT code FROM access_organisations
        UNION SELECT organisation FROM access_members
        UNION SELECT organisation FROM batches
        UNION SELECT organisation FROM check_proposals
        UNION SELECT organisation FROM audit_log) codes
    WHERE code <> '' AND position('*' IN code) = 0 AND position(',' IN code) = 0 AND position('|' IN code) = 0
$$;

CREATE FUNCTION aam_member_count() RETURNS BIGINT LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$ SELECT COUNT(*) FROM access_members $$;

CREATE FUNCTION aam_audit_hash(prev_hash TEXT, id BIGINT, at TEXT, member TEXT, organisation TEXT, action TEXT,
                               detail TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, public AS $$
    SELECT encode(sha256(convert_to(prev_hash || E'\n' || '[' || id::TEXT || ',' || to_json(at)::TEXT || ','
        || to_json(member)::TEXT || ',' || to_json(organisation)::TEXT || ',' || to_json(action)::TEXT || ','
        || to_json(detail)::TEXT || ']', 'UTF8')), 'hex')
$$;

CREATE FUNCTION aam_audit_append(p_member TEXT, p_organisation TEXT, p_action TEXT, p_detail TEXT)
RETURNS BIGINT LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    last_id BIGINT := 0;
    last_hash TEXT := repeat('0', 64);
    new_id BIGINT;
    stamp TEXT := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00';
    new_hash TEXT;
BEGIN
    IF NOT aam_is_vouched() THEN
        RAISE EXCEPTION 'refused: an audit row needs a vouched scope' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_organisation <> '' AND NOT (p_organisation = ANY (aam_orgs())) THEN
        RAISE EXCEPTION 'refused: % is outside the vouched scope', p_organisation
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(1094799617);  -- one chain: appends queue
    SELECT h.last_id, h.last_hash INTO last_id, last_hash FROM audit_head h WHERE h.one = 1;
    IF NOT FOUND THEN
        last_id := 0; last_hash := repeat('0', 64);
    END IF;
    new_id := last_id + 1;
    new_hash := aam_audit_hash(last_hash, new_id, stamp, p_member, p_organisation, p_action, p_detail);
    INSERT INTO audit_log (id, at, member, organisation, action, detail, prev_hash, row_hash)
        VALUES (new_id, stamp, p_member, p_organisation, p_action, p_detail, last_hash, new_hash);
    INSERT INTO audit_head (one, last_id, last_hash) VALUES (1, new_id, new_hash)
        ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash;
    RETURN new_id;
END $$;

CREATE FUNCTION aam_audit_chain() RETURNS TABLE (id BIGINT, prev_hash TEXT, row_hash TEXT, hash_ok BOOLEAN)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF NOT aam_is_vouched() THEN
        RAISE EXCEPTION 'refused: checking the audit chain needs a vouched scope'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY SELECT a.id, a.prev_hash, a.row_hash,
        aam_audit_hash(a.prev_hash, a.id, a.at, a.member, a.organisation, a.action, a.detail) = a.row_hash
        FROM audit_log a ORDER BY a.id;
END $$;

CREATE FUNCTION aam_put_organisation(p_code TEXT, p_name TEXT, p_kind TEXT, p_lad_codes TEXT, p_region TEXT)
RETURNS VOID LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM aam_require_admin(p_code);
    INSERT INTO access_organisations (code, name, kind, lad_codes, region)
        VALUES (p_code, p_name, p_kind, p_lad_codes, p_region)
        ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
            lad_codes = excluded.lad_codes, region = excluded.region;
END $$;

CREATE FUNCTION aam_put_member(p_email TEXT, p_organisation TEXT, p_role TEXT, p_at TEXT, p_by TEXT)
RETURNS VOID LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    was TEXT;
BEGIN
    PERFORM aam_require_admin(p_organisation);
    SELECT organisation INTO was FROM access_members WHERE email = p_email;
    IF FOUND THEN
        PERFORM aam_require_admin(was);  -- moving someone out of another organisation needs its admin too
    END IF;
    INSERT INTO access_members (email, organisation, role, granted_at, granted_by)
        VALUES (p_email, p_organisation, p_role, p_at, p_by)
        ON CONFLICT (email) DO UPDATE SET organisation = excluded.organisation, role = excluded.role,
            granted_at = excluded.granted_at, granted_by = excluded.granted_by;
END $$;

CREATE FUNCTION aam_delete_member(p_email TEXT) RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
    was TEXT;
BEGIN
    SELECT organisation INTO was FROM access_members WHERE email = p_email;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM aam_require_admin(was);
    DELETE FROM access_members WHERE email = p_email;
    RETURN true;
END $$;

CREATE FUNCTION aam_put_agreement(p_from TEXT, p_to TEXT, p_what TEXT, p_valid_from TEXT, p_valid_until TEXT,
                                  p_at TEXT, p_by TEXT) RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
    new_id BIGINT;
BEGIN
    PERFORM aam_require_admin(p_from);
    INSERT INTO access_agreements (from_org, to_org, what, valid_from, valid_until, made_at, made_by)
        VALUES (p_from, p_to, p_what, p_valid_from, p_valid_until, p_at, p_by) RETURNING id INTO new_id;
    RETURN new_id;
END $$;

CREATE FUNCTION aam_end_agreement(p_id BIGINT, p_on TEXT) RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
    a RECORD;
BEGIN
    SELECT from_org, to_org INTO a FROM access_agreements WHERE id = p_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF NOT (a.from_org = ANY (aam_admin_orgs()) OR a.to_org = ANY (aam_admin_orgs())) THEN
        PERFORM aam_require_admin(a.from_org);
    END IF;
    UPDATE access_agreements SET ended_on = p_on WHERE id = p_id;
    RETURN true;
END $$;

CREATE FUNCTION aam_put_setting(p_key TEXT, p_value TEXT, p_at TEXT, p_by TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF cardinality(aam_admin_orgs()) = 0 THEN
        RAISE EXCEPTION 'refused: changing a setting needs a vouched admin scope'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO access_settings (key, value, changed_at, changed_by) VALUES (p_key, p_value, p_at, p_by)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at,
            changed_by = excluded.changed_by;
END $$;

CREATE FUNCTION aam_put_token(p_token_id TEXT, p_sha256 TEXT, p_email TEXT, p_at TEXT, p_by TEXT)
RETURNS VOID LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM aam_require_admin((SELECT organisation FROM access_members WHERE email = p_email));
    INSERT INTO access_tokens (token_id, token_sha256, email, issued_at, issued_by)
        VALUES (p_token_id, p_sha256, p_email, p_at, p_by);
END $$;

CREATE FUNCTION aam_revoke_tokens(p_email TEXT, p_token_id TEXT, p_at TEXT) RETURNS BIGINT LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    n BIGINT;
BEGIN
    PERFORM aam_require_admin(COALESCE((SELECT organisation FROM access_members WHERE email = p_email),
                                       (SELECT a FROM unnest(aam_admin_orgs()) a LIMIT 1)));
    UPDATE access_tokens SET revoked_at = p_at
        WHERE email = p_email AND revoked_at IS NULL AND (p_token_id IS NULL OR token_id = p_token_id);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE FUNCTION aam_site_versions_close_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.valid_to_batch IS NOT NULL OR NEW.valid_to_batch IS NULL OR NEW.valid_to IS NULL THEN
        RAISE EXCEPTION 'a site version is never changed: only an open one is closed, once';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER site_versions_close_only BEFORE UPDATE ON site_versions
    FOR EACH ROW EXECUTE FUNCTION aam_site_versions_close_only();
CREATE FUNCTION aam_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
"""
OLD_POLICIES = ("batches", "site_versions", "audit_log", "rejections", "batch_not_in_file")
IN_SCOPE = "organisation = ANY ((SELECT aam_orgs())::TEXT[])"
POLICIES = {
    "batches": IN_SCOPE,
    "site_versions": IN_SCOPE,
    "export_traces": IN_SCOPE,
    "check_proposals": IN_SCOPE,
    "check_settings": IN_SCOPE,
    "rejections": "EXISTS (SELECT 1 FROM batches b WHERE b.id = rejections.batch_id)",
    "batch_not_in_file": "EXISTS (SELECT 1 FROM batches b WHERE b.id = batch_not_in_file.batch_id)",
    "check_decisions": "EXISTS (SELECT 1 FROM check_proposals p WHERE p.id = check_decisions.proposal_id)",
    "check_procurements": "EXISTS (SELECT 1 FROM check_proposals p WHERE p.id = check_procurements.proposal_id)",
    "access_members": "organisation = ANY ((SELECT aam_orgs())::TEXT[]) OR email = (SELECT aam_member())",
    "access_agreements": "from_org = ANY ((SELECT aam_orgs())::TEXT[]) OR to_org = ANY ((SELECT aam_orgs())::TEXT[])",
    "access_settings": "(SELECT aam_is_vouched())",
}
READ_ONLY_POLICIES = {  # the app role reads these; only the owner's functions write them
    "audit_log": f"{IN_SCOPE} OR (organisation = '' AND (SELECT aam_is_vouched()))",  # '': nobody signed in
    "audit_head": "(SELECT aam_is_vouched())",
    "access_tokens": "(SELECT aam_is_vouched())",  # hashes only: a token is looked up by its hash
}
# what the functions (running as the owner) need; the owner is the one role trusted with everything
OWNER_ALL = ("audit_log", "audit_head", "access_members", "access_agreements", "access_settings", "access_tokens")
OWNER_READ = ("batches", "check_proposals")
APPEND_ONLY = ("export_traces", "check_proposals", "check_decisions", "check_procurements", "check_settings",
               "rejections", "batch_not_in_file")


def statements(script: str) -> list[str]:
    """Whole statements: a $$-quoted body's inner ';' does not end one."""
    out, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if pending.count("$$") % 2 == 0:
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    return out


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    run = bind.exec_driver_sql
    for table in OLD_POLICIES:
        run(f"DROP POLICY IF EXISTS {table}_scope ON {table}")
    run("DROP FUNCTION IF EXISTS aam_in_scope(TEXT)")
    for statement in statements(VOUCHED):
        run(statement.replace("%", "%%"))  # the driver reads '%' as a placeholder: RAISE's '%' doubled
    for table, rule in {**POLICIES, **READ_ONLY_POLICIES}.items():
        run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        run(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        if table in READ_ONLY_POLICIES:
            run(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")
        else:
            run(f"CREATE POLICY {table}_scope ON {table} USING ({rule}) WITH CHECK ({rule})")
    for table in OWNER_ALL:
        run(f"CREATE POLICY {table}_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")
    for table in OWNER_READ:
        run(f"CREATE POLICY {table}_owner_read ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for table in APPEND_ONLY:
        run(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION aam_append_only()")


def downgrade() -> None:
    raise NotImplementedError("the store is never migrated backwards: restore a backup instead")
