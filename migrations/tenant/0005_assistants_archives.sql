CREATE TABLE "assistant_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"assistant_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"instructions" text NOT NULL,
	"model" text,
	"max_tokens" integer,
	"tools" text[],
	"skills" text[] DEFAULT '{}'::text[] NOT NULL,
	"trigger_mode" text DEFAULT 'always' NOT NULL,
	"trigger_pattern" text,
	"compaction_budget_tokens" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assistants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"current_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "turn_id" text;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "message_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "summary" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "context_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "usage" jsonb;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "search_text" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "archives" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "assistant_id" text;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "assistant_version" integer;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "context_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "assistant_version_id" text;--> statement-breakpoint
ALTER TABLE "assistant_versions" ADD CONSTRAINT "assistant_versions_assistant_id_assistants_id_fk" FOREIGN KEY ("assistant_id") REFERENCES "public"."assistants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "assistant_versions_key" ON "assistant_versions" USING btree ("assistant_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "assistants_name_key" ON "assistants" USING btree ("name");--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_assistant_id_assistants_id_fk" FOREIGN KEY ("assistant_id") REFERENCES "public"."assistants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "archives_conversation_idx" ON "archives" USING btree ("conversation_id","id");--> statement-breakpoint
CREATE INDEX "archives_search_idx" ON "archives" USING gin ("search");--> statement-breakpoint
CREATE INDEX "conversations_assistant_idx" ON "conversations" USING btree ("assistant_id");--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin (to_tsvector('simple', content));--> statement-breakpoint
-- hand-written: an assistant version is never changed, whatever code runs as the tenant
CREATE FUNCTION assistant_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'assistant versions are immutable; write the next version instead';
END
$$;
--> statement-breakpoint
CREATE TRIGGER assistant_versions_immutable BEFORE UPDATE ON assistant_versions
  FOR EACH ROW EXECUTE FUNCTION assistant_versions_immutable();
