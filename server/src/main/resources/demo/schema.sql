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
