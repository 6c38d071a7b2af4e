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

-- updated_at: when PostgreSQL last wrote the row (clock_timestamp(), the moment of the statement,
-- not of the transaction's start). The demo app shows now − updated_at when a changed row appears
-- in the browser: the "commit → visible" latency. ADD COLUMN IF NOT EXISTS upgrades older demo data.
ALTER TABLE lists ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE todos ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE OR REPLACE FUNCTION demo_stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER lists_updated_at BEFORE INSERT OR UPDATE ON lists
    FOR EACH ROW EXECUTE FUNCTION demo_stamp_updated_at();
CREATE OR REPLACE TRIGGER todos_updated_at BEFORE INSERT OR UPDATE ON todos
    FOR EACH ROW EXECUTE FUNCTION demo_stamp_updated_at();

-- shared_with: the demo app shares a new list by naming the other user; this makes them a member,
-- which is what the sync rules follow. SECURITY DEFINER: memberships are the owner's to manage and
-- the list may have been created in the same upload.
ALTER TABLE lists ADD COLUMN IF NOT EXISTS shared_with text;
CREATE OR REPLACE FUNCTION demo_share_list() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp AS
$$
BEGIN
    IF NEW.shared_with IS NOT NULL THEN
        INSERT INTO list_members (list_id, user_id) VALUES (NEW.id, NEW.shared_with) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER lists_shared_with_member AFTER INSERT OR UPDATE OF shared_with ON lists
    FOR EACH ROW EXECUTE FUNCTION demo_share_list();
