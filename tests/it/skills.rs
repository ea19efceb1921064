//! `harness-agents skills` and skills in `agents validate|explain`: found where
//! Claude Code looks (project, user, plugins), checked, and shown with the
//! agents that load them.

use crate::common::{Repo, assert_contains, manifest_dir};

const AGENT: &str = "---\nname: planner\ndescription: plans\nskills:\n  - realtime-engineer\n  - gone\n---\n\nPlans.\n";

fn skill(repo: &Repo, dir: &str, name: &str, body: &str) {
    repo.write(
        &format!("{dir}/{name}/SKILL.md"),
        &format!("---\nname: {name}\ndescription: Use for {name}.\n---\n\n{body}"),
    );
}

#[test]
fn a_missing_skill_warns_and_fails_once_the_project_requires_skills() {
    let repo = Repo::new();
    repo.write("agents/planner.md", AGENT);
    skill(&repo, ".claude/skills", "realtime-engineer", "Body.\n");
    let run = repo.harness(["agents", "validate"]).assert(0);
    assert_contains(
        &run.stdout,
        "agents/planner.md:6:5: warning: skill `gone` is not found",
    );
    assert_contains(&run.stdout, "add `.claude/skills/gone/SKILL.md`");
    assert!(
        !run.stdout.contains("`realtime-engineer` is not found"),
        "{}",
        run.stdout
    );

    repo.write("harness.toml", "[skills]\nrequire = true\n");
    let run = repo.harness(["agents", "validate"]).assert(1);
    assert_contains(
        &run.stdout,
        "agents/planner.md:6:5: error: skill `gone` is not found",
    );
}

#[test]
fn explain_and_show_name_where_each_skill_comes_from() {
    let repo = Repo::new();
    repo.write("agents/planner.md", AGENT);
    let home = tempfile::tempdir().unwrap();
    let user = home.path().join(".claude/skills/realtime-engineer");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(
        user.join("SKILL.md"),
        "---\nname: realtime-engineer\ndescription: From the user.\n---\n",
    )
    .unwrap();
    let plugin = home
        .path()
        .join(".claude/plugins/cache/market/rt-kit/skills/gone");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("SKILL.md"),
        "---\nname: gone\ndescription: From a plugin.\n---\n",
    )
    .unwrap();

    let run = repo
        .harness(["agents", "explain", "planner"])
        .env("HOME", home.path())
        .assert(0);
    let skills = run.stdout.split("\nskills\n").nth(1).unwrap();
    let lines: Vec<&str> = skills.lines().map(str::trim_end).collect();
    let user_file = user.join("SKILL.md");
    let plugin_file = plugin.join("SKILL.md");
    assert_eq!(
        lines,
        [
            format!(
                "  realtime-engineer  {} (user)  agents/planner.md:5",
                user_file.display()
            ),
            format!(
                "  gone               {} (plugin rt-kit)  agents/planner.md:6",
                plugin_file.display()
            ),
        ]
    );

    // The project's own directory wins over the user's.
    skill(
        &repo,
        ".claude/skills",
        "realtime-engineer",
        "Project copy.\n",
    );
    let run = repo
        .harness(["skills", "show", "realtime-engineer", "--format", "json"])
        .env("HOME", home.path())
        .assert(0);
    let json = run.json();
    assert_eq!(json["path"], ".claude/skills/realtime-engineer/SKILL.md");
    assert_eq!(json["origin"]["kind"], "project");
    assert_eq!(json["used_by"], serde_json::json!(["planner"]));
    assert_eq!(json["shadows"][0], user_file.display().to_string());

    // Without the user's and plugins' directories, only the project's count.
    repo.write("harness.toml", "[skills]\nuser = false\n");
    let run = repo
        .harness(["agents", "validate"])
        .env("HOME", home.path())
        .assert(0);
    assert_contains(&run.stdout, "warning: skill `gone` is not found");
}

#[test]
fn validate_locates_each_problem_in_a_skill() {
    let repo = Repo::new();
    repo.write(
        ".claude/skills/presence/SKILL.md",
        "---\nname: presense\ndescription: Use for presence.\n---\n\nSee [the patterns](references/patterns.md) and [docs](https://example.com).\n",
    );
    repo.write(
        ".claude/skills/empty/SKILL.md",
        "---\nname: empty\n---\nBody.\n",
    );
    repo.write(
        ".claude/skills/Bad_Dir/SKILL.md",
        "---\nname: Bad_Dir\ndescription: d\n---\n",
    );
    let run = repo.harness(["skills", "validate"]).assert(1);
    assert_contains(
        &run.stdout,
        ".claude/skills/presence/SKILL.md:2:7: error: the skill is named `presense` but its directory is `presence`",
    );
    assert_contains(
        &run.stdout,
        ".claude/skills/presence/SKILL.md:6:20: error: `references/patterns.md` is not in the skill",
    );
    assert_contains(
        &run.stdout,
        ".claude/skills/empty/SKILL.md:1:1: error: the skill has no `description`",
    );
    assert_contains(
        &run.stdout,
        ".claude/skills/Bad_Dir/SKILL.md:2:7: error: `Bad_Dir` is not a valid skill name",
    );
    assert!(
        !run.stdout.contains("`https://example.com` is not"),
        "{}",
        run.stdout
    );
    assert_contains(&run.stdout, "failed: 3 files checked, 4 errors");

    // Fixing the link and the name makes that skill pass on its own.
    repo.write(
        ".claude/skills/presence/references/patterns.md",
        "# Patterns\n",
    );
    repo.write(
        ".claude/skills/presence/SKILL.md",
        "---\nname: presence\ndescription: Use for presence.\n---\n\nSee [the patterns](references/patterns.md).\n",
    );
    let run = repo
        .harness(["skills", "validate", ".claude/skills/presence"])
        .assert(0);
    assert_contains(&run.stdout, "ok: 1 file checked, 0 errors");

    let run = repo.harness(["skills", "validate", "nowhere"]).assert(2);
    assert_contains(&run.stderr, "error: `nowhere` does not exist");
}

#[test]
fn this_repository_resolves_every_skill_its_agents_load() {
    let run = crate::common::harness(["agents", "validate"])
        .current_dir(manifest_dir())
        .assert(0);
    assert!(
        !run.stdout.contains("unresolved") && !run.stdout.contains("is not found"),
        "{}",
        run.stdout
    );
    let run = crate::common::harness(["skills", "validate"])
        .current_dir(manifest_dir())
        .assert(0);
    assert_contains(&run.stdout, "ok: 3 files checked, 0 errors");
}

#[test]
#[ignore = "needs ../shared/seeds: run with `cargo test -- --include-ignored` where it exists (CI does)"]
fn the_seed_skill_resolves_for_the_realtime_engineer() {
    let seed =
        std::fs::read_to_string(manifest_dir().join("../shared/seeds/002_871c608a747147a3.txt"))
            .expect("../shared/seeds/002_* beside the repository");
    let repo = Repo::with_agents(&[]);
    let engineer = repo.read("agents/realtime-engineer.md");
    repo.write(
        "agents/realtime-engineer.md",
        &engineer.replacen("skills:\n", "skills:\n  - realtime-engineer\n", 1),
    );
    let description = seed
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("You are"))
        .unwrap()
        .replace('"', "'");
    repo.write(
        ".claude/skills/realtime-engineer/SKILL.md",
        &format!("---\nname: realtime-engineer\ndescription: \"{description}\"\n---\n\n{seed}"),
    );
    for reference in ["patterns", "sharp_edges", "validations"] {
        repo.write(
            &format!(".claude/skills/realtime-engineer/references/{reference}.md"),
            "# Notes\n",
        );
    }
    let run = repo
        .harness(["skills", "show", "realtime-engineer"])
        .assert(0);
    assert_contains(&run.stdout, "used by      realtime-engineer");
    assert_contains(
        &run.stdout,
        "files        references/patterns.md, references/sharp_edges.md, references/validations.md",
    );
    let run = repo
        .harness(["agents", "explain", "realtime-engineer"])
        .assert(0);
    assert_contains(
        &run.stdout,
        "realtime-engineer              .claude/skills/realtime-engineer/SKILL.md (project)",
    );
}

#[test]
fn a_link_out_of_the_skill_is_an_error_and_plugin_names_pick_the_plugin() {
    let repo = Repo::new();
    skill(&repo, ".claude/skills", "other", "Other.\n");
    skill(
        &repo,
        ".claude/skills",
        "leaky",
        "See [its notes](../other/SKILL.md).\n",
    );
    let run = repo
        .harness(["skills", "validate", ".claude/skills/leaky"])
        .assert(1);
    assert_contains(
        &run.stdout,
        "error: `../other/SKILL.md` is not in the skill",
    );

    // `PLUGIN:NAME` shows that plugin's skill, not the project's of the
    // same name.
    let home = tempfile::tempdir().unwrap();
    let plugin = home
        .path()
        .join(".claude/plugins/cache/market/rt-kit/2.1.0/skills/other");
    std::fs::create_dir_all(&plugin).unwrap();
    std::fs::write(
        plugin.join("SKILL.md"),
        "---\nname: other\ndescription: The plugin's.\n---\n",
    )
    .unwrap();
    let run = repo
        .harness(["skills", "show", "rt-kit:other", "--format", "json"])
        .env("HOME", home.path())
        .assert(0)
        .json();
    assert_eq!(run["description"], "The plugin's.");
    assert_eq!(run["origin"]["name"], "rt-kit");
}
