CREATE TABLE "inbound_hooks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"scheme" text NOT NULL,
	"sealed_secret" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_receipts" DROP CONSTRAINT "webhook_receipts_pkey";--> statement-breakpoint
ALTER TABLE "webhook_receipts" ADD COLUMN "hook_id" text NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_receipts" ADD COLUMN "conversation_id" text;--> statement-breakpoint
ALTER TABLE "webhook_receipts" ADD COLUMN "payload" "bytea" NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_receipts" ADD CONSTRAINT "webhook_receipts_hook_id_delivery_id_pk" PRIMARY KEY("hook_id","delivery_id");--> statement-breakpoint
ALTER TABLE "webhook_receipts" ADD CONSTRAINT "webhook_receipts_hook_id_inbound_hooks_id_fk" FOREIGN KEY ("hook_id") REFERENCES "public"."inbound_hooks"("id") ON DELETE cascade ON UPDATE no action;