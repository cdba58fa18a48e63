CREATE TABLE "skill_versions" (
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"description" text NOT NULL,
	"bytes" integer NOT NULL,
	"files" integer NOT NULL,
	"archive" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "skill_versions_name_version_pk" PRIMARY KEY("name","version")
);
--> statement-breakpoint
CREATE TABLE "skills" (
	"name" text PRIMARY KEY NOT NULL,
	"latest_version" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "skill_versions" ADD CONSTRAINT "skill_versions_name_skills_name_fk" FOREIGN KEY ("name") REFERENCES "public"."skills"("name") ON DELETE cascade ON UPDATE no action;