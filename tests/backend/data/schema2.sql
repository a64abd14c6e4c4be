-- A database written by cortex-mcp 2a5c4e3 (schema 2: the last layout before named migration steps).
-- Loaded by tests/backend/test_migrations.py to check that files from older builds are upgraded.
CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE "memories" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_memoryId" GENERATED ALWAYS AS (json_extract(doc, '$."memoryId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_agentId" GENERATED ALWAYS AS (json_extract(doc, '$."agentId"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED,
  "f_participantId" GENERATED ALWAYS AS (json_extract(doc, '$."participantId"')) STORED,
  "f_sourceUserId" GENERATED ALWAYS AS (json_extract(doc, '$."sourceUserId"')) STORED,
  "f_sourceType" GENERATED ALWAYS AS (json_extract(doc, '$."sourceType"')) STORED,
  "v_embedding" BLOB
);
CREATE INDEX "memories__by_creation" ON "memories"(_creationTime);
CREATE INDEX "memories__by_memorySpace" ON "memories"("f_memorySpaceId", _creationTime);
CREATE INDEX "memories__by_memoryId" ON "memories"("f_memoryId", _creationTime);
CREATE INDEX "memories__by_tenantId" ON "memories"("f_tenantId", _creationTime);
CREATE INDEX "memories__by_tenant_space" ON "memories"("f_tenantId", "f_memorySpaceId", _creationTime);
CREATE INDEX "memories__by_userId" ON "memories"("f_userId", _creationTime);
CREATE INDEX "memories__by_agentId" ON "memories"("f_agentId", _creationTime);
CREATE INDEX "memories__by_memorySpace_created" ON "memories"("f_memorySpaceId", "f_createdAt", _creationTime);
CREATE INDEX "memories__by_memorySpace_userId" ON "memories"("f_memorySpaceId", "f_userId", _creationTime);
CREATE INDEX "memories__by_memorySpace_agentId" ON "memories"("f_memorySpaceId", "f_agentId", _creationTime);
CREATE INDEX "memories__by_participantId" ON "memories"("f_participantId", _creationTime);
CREATE INDEX "memories__by_sourceUserId" ON "memories"("f_sourceUserId", _creationTime);
CREATE VIRTUAL TABLE "memories__search_by_content" USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE "memorySpaces" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_status" GENERATED ALWAYS AS (json_extract(doc, '$."status"')) STORED,
  "f_type" GENERATED ALWAYS AS (json_extract(doc, '$."type"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED
);
CREATE INDEX "memorySpaces__by_creation" ON "memorySpaces"(_creationTime);
CREATE INDEX "memorySpaces__by_memorySpaceId" ON "memorySpaces"("f_memorySpaceId", _creationTime);
CREATE INDEX "memorySpaces__by_tenantId" ON "memorySpaces"("f_tenantId", _creationTime);
CREATE INDEX "memorySpaces__by_tenant_memorySpaceId" ON "memorySpaces"("f_tenantId", "f_memorySpaceId", _creationTime);
CREATE INDEX "memorySpaces__by_tenant_status" ON "memorySpaces"("f_tenantId", "f_status", _creationTime);
CREATE INDEX "memorySpaces__by_status" ON "memorySpaces"("f_status", _creationTime);
CREATE INDEX "memorySpaces__by_type" ON "memorySpaces"("f_type", _creationTime);
CREATE INDEX "memorySpaces__by_created" ON "memorySpaces"("f_createdAt", _creationTime);
CREATE TABLE "agents" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_agentId" GENERATED ALWAYS AS (json_extract(doc, '$."agentId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_status" GENERATED ALWAYS AS (json_extract(doc, '$."status"')) STORED,
  "f_registeredAt" GENERATED ALWAYS AS (json_extract(doc, '$."registeredAt"')) STORED
);
CREATE INDEX "agents__by_creation" ON "agents"(_creationTime);
CREATE INDEX "agents__by_agentId" ON "agents"("f_agentId", _creationTime);
CREATE INDEX "agents__by_tenantId" ON "agents"("f_tenantId", _creationTime);
CREATE INDEX "agents__by_tenant_status" ON "agents"("f_tenantId", "f_status", _creationTime);
CREATE INDEX "agents__by_status" ON "agents"("f_status", _creationTime);
CREATE INDEX "agents__by_registered" ON "agents"("f_registeredAt", _creationTime);
CREATE TABLE "conversations" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_conversationId" GENERATED ALWAYS AS (json_extract(doc, '$."conversationId"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_type" GENERATED ALWAYS AS (json_extract(doc, '$."type"')) STORED,
  "f_participants__userId" GENERATED ALWAYS AS (json_extract(doc, '$."participants"."userId"')) STORED,
  "f_participants__agentId" GENERATED ALWAYS AS (json_extract(doc, '$."participants"."agentId"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED
);
CREATE INDEX "conversations__by_creation" ON "conversations"(_creationTime);
CREATE INDEX "conversations__by_conversationId" ON "conversations"("f_conversationId", _creationTime);
CREATE INDEX "conversations__by_memorySpace" ON "conversations"("f_memorySpaceId", _creationTime);
CREATE INDEX "conversations__by_tenantId" ON "conversations"("f_tenantId", _creationTime);
CREATE INDEX "conversations__by_tenant_space" ON "conversations"("f_tenantId", "f_memorySpaceId", _creationTime);
CREATE INDEX "conversations__by_type" ON "conversations"("f_type", _creationTime);
CREATE INDEX "conversations__by_user" ON "conversations"("f_participants__userId", _creationTime);
CREATE INDEX "conversations__by_agent" ON "conversations"("f_participants__agentId", _creationTime);
CREATE INDEX "conversations__by_memorySpace_user" ON "conversations"("f_memorySpaceId", "f_participants__userId", _creationTime);
CREATE INDEX "conversations__by_memorySpace_agent" ON "conversations"("f_memorySpaceId", "f_participants__agentId", _creationTime);
CREATE INDEX "conversations__by_created" ON "conversations"("f_createdAt", _creationTime);
CREATE TABLE "immutable" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_type" GENERATED ALWAYS AS (json_extract(doc, '$."type"')) STORED,
  "f_id" GENERATED ALWAYS AS (json_extract(doc, '$."id"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED
);
CREATE INDEX "immutable__by_creation" ON "immutable"(_creationTime);
CREATE INDEX "immutable__by_type_id" ON "immutable"("f_type", "f_id", _creationTime);
CREATE INDEX "immutable__by_type" ON "immutable"("f_type", _creationTime);
CREATE INDEX "immutable__by_tenantId" ON "immutable"("f_tenantId", _creationTime);
CREATE INDEX "immutable__by_tenant_type_id" ON "immutable"("f_tenantId", "f_type", "f_id", _creationTime);
CREATE INDEX "immutable__by_userId" ON "immutable"("f_userId", _creationTime);
CREATE INDEX "immutable__by_created" ON "immutable"("f_createdAt", _creationTime);
CREATE TABLE "facts" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_factId" GENERATED ALWAYS AS (json_extract(doc, '$."factId"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_subject" GENERATED ALWAYS AS (json_extract(doc, '$."subject"')) STORED,
  "f_participantId" GENERATED ALWAYS AS (json_extract(doc, '$."participantId"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_factType" GENERATED ALWAYS AS (json_extract(doc, '$."factType"')) STORED
);
CREATE INDEX "facts__by_creation" ON "facts"(_creationTime);
CREATE INDEX "facts__by_factId" ON "facts"("f_factId", _creationTime);
CREATE INDEX "facts__by_memorySpace" ON "facts"("f_memorySpaceId", _creationTime);
CREATE INDEX "facts__by_tenantId" ON "facts"("f_tenantId", _creationTime);
CREATE INDEX "facts__by_tenant_space" ON "facts"("f_tenantId", "f_memorySpaceId", _creationTime);
CREATE INDEX "facts__by_memorySpace_subject" ON "facts"("f_memorySpaceId", "f_subject", _creationTime);
CREATE INDEX "facts__by_participantId" ON "facts"("f_participantId", _creationTime);
CREATE INDEX "facts__by_userId" ON "facts"("f_userId", _creationTime);
CREATE VIRTUAL TABLE "facts__search_by_content" USING fts5(text, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE "factHistory" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_eventId" GENERATED ALWAYS AS (json_extract(doc, '$."eventId"')) STORED,
  "f_factId" GENERATED ALWAYS AS (json_extract(doc, '$."factId"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_timestamp" GENERATED ALWAYS AS (json_extract(doc, '$."timestamp"')) STORED,
  "f_action" GENERATED ALWAYS AS (json_extract(doc, '$."action"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED
);
CREATE INDEX "factHistory__by_creation" ON "factHistory"(_creationTime);
CREATE INDEX "factHistory__by_eventId" ON "factHistory"("f_eventId", _creationTime);
CREATE INDEX "factHistory__by_factId" ON "factHistory"("f_factId", _creationTime);
CREATE INDEX "factHistory__by_memorySpace" ON "factHistory"("f_memorySpaceId", _creationTime);
CREATE INDEX "factHistory__by_memorySpace_timestamp" ON "factHistory"("f_memorySpaceId", "f_timestamp", _creationTime);
CREATE INDEX "factHistory__by_action" ON "factHistory"("f_action", _creationTime);
CREATE INDEX "factHistory__by_userId" ON "factHistory"("f_userId", _creationTime);
CREATE INDEX "factHistory__by_timestamp" ON "factHistory"("f_timestamp", _creationTime);
CREATE TABLE "contexts" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_contextId" GENERATED ALWAYS AS (json_extract(doc, '$."contextId"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_parentId" GENERATED ALWAYS AS (json_extract(doc, '$."parentId"')) STORED,
  "f_rootId" GENERATED ALWAYS AS (json_extract(doc, '$."rootId"')) STORED,
  "f_status" GENERATED ALWAYS AS (json_extract(doc, '$."status"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED
);
CREATE INDEX "contexts__by_creation" ON "contexts"(_creationTime);
CREATE INDEX "contexts__by_contextId" ON "contexts"("f_contextId", _creationTime);
CREATE INDEX "contexts__by_memorySpace" ON "contexts"("f_memorySpaceId", _creationTime);
CREATE INDEX "contexts__by_tenantId" ON "contexts"("f_tenantId", _creationTime);
CREATE INDEX "contexts__by_tenant_contextId" ON "contexts"("f_tenantId", "f_contextId", _creationTime);
CREATE INDEX "contexts__by_tenant_space" ON "contexts"("f_tenantId", "f_memorySpaceId", _creationTime);
CREATE INDEX "contexts__by_parentId" ON "contexts"("f_parentId", _creationTime);
CREATE INDEX "contexts__by_rootId" ON "contexts"("f_rootId", _creationTime);
CREATE INDEX "contexts__by_status" ON "contexts"("f_status", _creationTime);
CREATE INDEX "contexts__by_memorySpace_status" ON "contexts"("f_memorySpaceId", "f_status", _creationTime);
CREATE INDEX "contexts__by_userId" ON "contexts"("f_userId", _creationTime);
CREATE INDEX "contexts__by_created" ON "contexts"("f_createdAt", _creationTime);
CREATE TABLE "mutable" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_namespace" GENERATED ALWAYS AS (json_extract(doc, '$."namespace"')) STORED,
  "f_key" GENERATED ALWAYS AS (json_extract(doc, '$."key"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_updatedAt" GENERATED ALWAYS AS (json_extract(doc, '$."updatedAt"')) STORED
);
CREATE INDEX "mutable__by_creation" ON "mutable"(_creationTime);
CREATE INDEX "mutable__by_namespace_key" ON "mutable"("f_namespace", "f_key", _creationTime);
CREATE INDEX "mutable__by_namespace" ON "mutable"("f_namespace", _creationTime);
CREATE INDEX "mutable__by_tenantId" ON "mutable"("f_tenantId", _creationTime);
CREATE INDEX "mutable__by_tenant_namespace" ON "mutable"("f_tenantId", "f_namespace", _creationTime);
CREATE INDEX "mutable__by_tenant_namespace_key" ON "mutable"("f_tenantId", "f_namespace", "f_key", _creationTime);
CREATE INDEX "mutable__by_userId" ON "mutable"("f_userId", _creationTime);
CREATE INDEX "mutable__by_updated" ON "mutable"("f_updatedAt", _creationTime);
CREATE TABLE "sessions" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_sessionId" GENERATED ALWAYS AS (json_extract(doc, '$."sessionId"')) STORED,
  "f_userId" GENERATED ALWAYS AS (json_extract(doc, '$."userId"')) STORED,
  "f_tenantId" GENERATED ALWAYS AS (json_extract(doc, '$."tenantId"')) STORED,
  "f_status" GENERATED ALWAYS AS (json_extract(doc, '$."status"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_lastActiveAt" GENERATED ALWAYS AS (json_extract(doc, '$."lastActiveAt"')) STORED
);
CREATE INDEX "sessions__by_creation" ON "sessions"(_creationTime);
CREATE INDEX "sessions__by_sessionId" ON "sessions"("f_sessionId", _creationTime);
CREATE INDEX "sessions__by_userId" ON "sessions"("f_userId", _creationTime);
CREATE INDEX "sessions__by_tenantId" ON "sessions"("f_tenantId", _creationTime);
CREATE INDEX "sessions__by_tenant_user" ON "sessions"("f_tenantId", "f_userId", _creationTime);
CREATE INDEX "sessions__by_status" ON "sessions"("f_status", _creationTime);
CREATE INDEX "sessions__by_memorySpace" ON "sessions"("f_memorySpaceId", _creationTime);
CREATE INDEX "sessions__by_lastActive" ON "sessions"("f_lastActiveAt", _creationTime);
CREATE INDEX "sessions__by_tenant_status" ON "sessions"("f_tenantId", "f_status", _creationTime);
CREATE TABLE "governancePolicies" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_organizationId" GENERATED ALWAYS AS (json_extract(doc, '$."organizationId"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED,
  "f_isActive" GENERATED ALWAYS AS (json_extract(doc, '$."isActive"')) STORED,
  "f_updatedAt" GENERATED ALWAYS AS (json_extract(doc, '$."updatedAt"')) STORED
);
CREATE INDEX "governancePolicies__by_creation" ON "governancePolicies"(_creationTime);
CREATE INDEX "governancePolicies__by_organization" ON "governancePolicies"("f_organizationId", _creationTime);
CREATE INDEX "governancePolicies__by_memorySpace" ON "governancePolicies"("f_memorySpaceId", _creationTime);
CREATE INDEX "governancePolicies__by_active" ON "governancePolicies"("f_isActive", "f_organizationId", _creationTime);
CREATE INDEX "governancePolicies__by_updated" ON "governancePolicies"("f_updatedAt", _creationTime);
CREATE TABLE "governanceEnforcement" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_organizationId" GENERATED ALWAYS AS (json_extract(doc, '$."organizationId"')) STORED,
  "f_executedAt" GENERATED ALWAYS AS (json_extract(doc, '$."executedAt"')) STORED,
  "f_memorySpaceId" GENERATED ALWAYS AS (json_extract(doc, '$."memorySpaceId"')) STORED
);
CREATE INDEX "governanceEnforcement__by_creation" ON "governanceEnforcement"(_creationTime);
CREATE INDEX "governanceEnforcement__by_organization" ON "governanceEnforcement"("f_organizationId", "f_executedAt", _creationTime);
CREATE INDEX "governanceEnforcement__by_memorySpace" ON "governanceEnforcement"("f_memorySpaceId", "f_executedAt", _creationTime);
CREATE INDEX "governanceEnforcement__by_executed" ON "governanceEnforcement"("f_executedAt", _creationTime);
CREATE TABLE "graphSyncQueue" (
  rowid INTEGER PRIMARY KEY,
  _id TEXT NOT NULL UNIQUE,
  _creationTime REAL NOT NULL,
  doc TEXT NOT NULL,
  "f_synced" GENERATED ALWAYS AS (json_extract(doc, '$."synced"')) STORED,
  "f_table" GENERATED ALWAYS AS (json_extract(doc, '$."table"')) STORED,
  "f_entityId" GENERATED ALWAYS AS (json_extract(doc, '$."entityId"')) STORED,
  "f_priority" GENERATED ALWAYS AS (json_extract(doc, '$."priority"')) STORED,
  "f_createdAt" GENERATED ALWAYS AS (json_extract(doc, '$."createdAt"')) STORED
);
CREATE INDEX "graphSyncQueue__by_creation" ON "graphSyncQueue"(_creationTime);
CREATE INDEX "graphSyncQueue__by_synced" ON "graphSyncQueue"("f_synced", _creationTime);
CREATE INDEX "graphSyncQueue__by_table" ON "graphSyncQueue"("f_table", _creationTime);
CREATE INDEX "graphSyncQueue__by_table_entity" ON "graphSyncQueue"("f_table", "f_entityId", _creationTime);
CREATE INDEX "graphSyncQueue__by_priority" ON "graphSyncQueue"("f_priority", "f_synced", _creationTime);
CREATE INDEX "graphSyncQueue__by_created" ON "graphSyncQueue"("f_createdAt", _creationTime);
INSERT INTO "_meta"(key, value) VALUES ('schema_version', '2');
INSERT INTO "memories"(rowid, _id, _creationTime, doc, v_embedding) VALUES (1, 'jv2ip6tjbh96ne8rav6u3kpmg9l09gme', 1796461837263.3054, '{"memoryId":"mem-1796461837263-ggia21z1c","memorySpaceId":"s","content":"the tortoise is named Sheldon","contentType":"raw","sourceType":"tool","sourceTimestamp":1796461837263,"importance":50,"tags":[],"version":1,"previousVersions":[],"createdAt":1796461837263,"updatedAt":1796461837263,"accessCount":0,"sourceUserId":"ana"}', X'000000000000f03f0000000000000000');
INSERT INTO "memories"(rowid, _id, _creationTime, doc, v_embedding) VALUES (2, 'joz5qk828gwitok5afh9qpfnn0bis8me', 1796461837263.8528, '{"memoryId":"mem-1796461837263-4c8rgufte","memorySpaceId":"s","content":"ana likes green tea","contentType":"raw","sourceType":"tool","sourceTimestamp":1796461837263,"importance":50,"tags":[],"version":1,"previousVersions":[],"createdAt":1796461837263,"updatedAt":1796461837263,"accessCount":0}', X'0000000000000000000000000000f03f');
INSERT INTO "memories"(rowid, _id, _creationTime, doc, v_embedding) VALUES (3, 'j5exom6a1gqdcw8atxv17q3e3ogh38me', 1796461837264.1274, '{"memoryId":"mem-1796461837264-m7f93pkqc","memorySpaceId":"s","content":"no vector here","contentType":"raw","sourceType":"tool","sourceTimestamp":1796461837264,"importance":50,"tags":[],"version":1,"previousVersions":[],"createdAt":1796461837264,"updatedAt":1796461837264,"accessCount":0}', NULL);
INSERT INTO "memories__search_by_content"(rowid, text) VALUES (1, 'the tortoise is named Sheldon');
INSERT INTO "memories__search_by_content"(rowid, text) VALUES (2, 'ana likes green tea');
INSERT INTO "memories__search_by_content"(rowid, text) VALUES (3, 'no vector here');
