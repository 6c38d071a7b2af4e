-- Sample data for the two demo users, inserted only into an empty database.
INSERT INTO lists (id, name, owner_id) VALUES
    ('11111111-1111-4111-8111-111111111111', 'Groceries (shared)', 'alice'),
    ('22222222-2222-4222-8222-222222222222', 'Alice''s work', 'alice'),
    ('33333333-3333-4333-8333-333333333333', 'Bob''s books', 'bob');
INSERT INTO list_members (list_id, user_id) VALUES
    ('11111111-1111-4111-8111-111111111111', 'alice'),
    ('11111111-1111-4111-8111-111111111111', 'bob'),
    ('22222222-2222-4222-8222-222222222222', 'alice'),
    ('33333333-3333-4333-8333-333333333333', 'bob')
ON CONFLICT DO NOTHING; -- the owners are already members (trigger lists_owner_is_member)
INSERT INTO todos (list_id, description, completed, created_by) VALUES
    ('11111111-1111-4111-8111-111111111111', 'Milk', false, 'alice'),
    ('11111111-1111-4111-8111-111111111111', 'Bread', true, 'bob'),
    ('11111111-1111-4111-8111-111111111111', 'Coffee', false, 'alice'),
    ('22222222-2222-4222-8222-222222222222', 'Write the quarterly report', false, 'alice'),
    ('22222222-2222-4222-8222-222222222222', 'Review pull requests', false, 'alice'),
    ('33333333-3333-4333-8333-333333333333', 'Designing Data-Intensive Applications', true, 'bob'),
    ('33333333-3333-4333-8333-333333333333', 'The Art of PostgreSQL', false, 'bob');
