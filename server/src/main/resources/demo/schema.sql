-- Syncline demo schema: todo lists shared between users. Applied idempotently at every start.
CREATE TABLE IF NOT EXISTS lists (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    owner_id    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS list_members (
    list_id     uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    user_id     text NOT NULL,
    PRIMARY KEY (list_id, user_id)
);
CREATE TABLE IF NOT EXISTS todos (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    list_id      uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    description  text NOT NULL,
    completed    boolean NOT NULL DEFAULT false,
    created_by   text,
    completed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS todos_list_id ON todos (list_id);
CREATE INDEX IF NOT EXISTS list_members_user_id ON list_members (user_id);

-- Writes through POST /api/upload run as the role `authenticated` with the user's JWT claims in
-- `request.jwt.claims` (docs/upload.md), so these policies decide what alice and bob may write.
-- The server connects as postgres (a superuser), which bypasses them for replication.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON lists, list_members, todos TO authenticated;

-- The user the upload runs for; NULL outside an upload. nullif: once set on a pooled connection,
-- the setting reads as '' rather than NULL in later transactions.
CREATE OR REPLACE FUNCTION demo_user_id() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('request.jwt.claims', true), '')::json ->> 'sub' $$;

-- SECURITY DEFINER: read memberships and owners without the policies below, which would
-- otherwise call themselves (list_members' policy asks about list_members).
CREATE OR REPLACE FUNCTION demo_is_member(list uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp AS
$$ SELECT EXISTS (SELECT 1 FROM list_members WHERE list_id = list AND user_id = demo_user_id()) $$;
CREATE OR REPLACE FUNCTION demo_owns_list(list uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp AS
$$ SELECT EXISTS (SELECT 1 FROM lists WHERE id = list AND owner_id = demo_user_id()) $$;

ALTER TABLE lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE list_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE todos ENABLE ROW LEVEL SECURITY;

-- Lists: members see them; only the owner creates (as themselves), renames or deletes them.
DROP POLICY IF EXISTS lists_read ON lists;
CREATE POLICY lists_read ON lists FOR SELECT TO authenticated
    USING (owner_id = demo_user_id() OR demo_is_member(id));
DROP POLICY IF EXISTS lists_create ON lists;
CREATE POLICY lists_create ON lists FOR INSERT TO authenticated WITH CHECK (owner_id = demo_user_id());
DROP POLICY IF EXISTS lists_change ON lists;
CREATE POLICY lists_change ON lists FOR UPDATE TO authenticated
    USING (owner_id = demo_user_id()) WITH CHECK (owner_id = demo_user_id());
DROP POLICY IF EXISTS lists_delete ON lists;
CREATE POLICY lists_delete ON lists FOR DELETE TO authenticated USING (owner_id = demo_user_id());

-- Memberships: a user sees their own; the list's owner manages them.
DROP POLICY IF EXISTS members_read ON list_members;
CREATE POLICY members_read ON list_members FOR SELECT TO authenticated
    USING (user_id = demo_user_id() OR demo_owns_list(list_id));
DROP POLICY IF EXISTS members_manage ON list_members;
CREATE POLICY members_manage ON list_members FOR ALL TO authenticated
    USING (demo_owns_list(list_id)) WITH CHECK (demo_owns_list(list_id));

-- Todos: any member of the list reads and writes them, and may not move one into a list they are not in.
DROP POLICY IF EXISTS todos_members ON todos;
CREATE POLICY todos_members ON todos FOR ALL TO authenticated
    USING (demo_is_member(list_id)) WITH CHECK (demo_is_member(list_id));

-- The owner of a new list becomes its member, so the sync rules (which follow memberships) send
-- the list back to them; SECURITY DEFINER because the owner may not insert memberships before the
-- list exists.
CREATE OR REPLACE FUNCTION demo_add_owner_as_member() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS
$$
BEGIN
    INSERT INTO list_members (list_id, user_id) VALUES (NEW.id, NEW.owner_id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER lists_owner_is_member AFTER INSERT ON lists
    FOR EACH ROW EXECUTE FUNCTION demo_add_owner_as_member();

-- The server, not the client, says who created a todo.
CREATE OR REPLACE FUNCTION demo_stamp_creator() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    NEW.created_by := coalesce(demo_user_id(), NEW.created_by);
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER todos_stamp_creator BEFORE INSERT ON todos
    FOR EACH ROW EXECUTE FUNCTION demo_stamp_creator();
