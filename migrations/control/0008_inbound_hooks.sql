CREATE TABLE "control"."inbound_hooks" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "control"."tenants" ADD COLUMN "max_inbound_hooks" integer;--> statement-breakpoint
ALTER TABLE "control"."inbound_hooks" ADD CONSTRAINT "inbound_hooks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "control"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbound_hooks_tenant_idx" ON "control"."inbound_hooks" USING btree ("tenant_id");