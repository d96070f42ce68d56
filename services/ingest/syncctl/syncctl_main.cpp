// syncctl: the operator CLI of synchub, an HTTP client of synchub-ingest.
//
//   syncctl [--url URL] [--json] conflicts list [--status open|resolved|all]
//                                conflicts show ID
//                                conflicts resolve ID --take incoming|canonical
//                                dead-letters list [--status dead|replayed|discarded|all]
//                                dead-letters replay ID
//                                dead-letters discard ID
//                                sources list
//                                sources set-priority NAME PRIORITY
//                                sources reload NAME
//                                records list ENTITY [--after KEY] [--limit N] [--all]
//                                records get ENTITY EXTERNAL_ID
//                                records history ENTITY EXTERNAL_ID
//                                stats
//                                credentials create --role ROLE [--name N]
//                                                   [--curve-public-key Z85] [--no-token]
//                                credentials list [--all]
//                                credentials revoke ID
//
// --token defaults to $SYNCHUB_TOKEN: the bearer token sent with every request
// (docs/security.md). --url defaults to $SYNCHUB_URL, else http://127.0.0.1:8080. Tables by
// default; --json prints the server's JSON answer as it came (error answers too, on stdout);
// records list --all prints one page holding every record, {"records":[...],"next":null}.
//
// Exit codes: 0 success (a replay that ends in a MANUAL conflict is a success: the conflict
// is an outcome), 1 the server answered an error (its code and detail go to stderr), 2 usage
// error, 3 the server could not be reached.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/core/json.hpp"
#include "ingest/syncctl/syncctl_client.hpp"
#include "ingest/syncctl/syncctl_format.hpp"
#include "ingest/syncctl/syncctl_pages.hpp"

namespace synchub {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitServerError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

using Formatter = std::function<std::string(const nlohmann::json&)>;

// The one request a command line asks for, and how to show its answer.
struct Plan {
  std::string method;
  std::string path;
  std::string body;
  Formatter format;
  // True for replay: a 409 that carries a sync result (MANUAL) is an outcome, not an error.
  bool conflict_is_outcome = false;
  // True for records list --all: fetch every page (FetchAllRecordPages) instead of `path`.
  bool all_pages = false;
};

// A credential as one line: "17  source:CRM  CRM connector  token  key ...  active".
std::string CredentialLine(const nlohmann::json& credential) {
  std::string line = std::to_string(credential.value("id", std::int64_t{0})) + "\t" +
                     credential.value("role", std::string()) + "\t" +
                     credential.value("name", std::string());
  line += credential.value("hasToken", false) ? "\ttoken" : "\t-";
  line += credential["curvePublicKey"].is_string()
              ? "\tcurve " + credential["curvePublicKey"].get<std::string>()
              : std::string("\t-");
  line += credential["revokedAt"].is_string()
              ? "\trevoked " + credential["revokedAt"].get<std::string>()
              : std::string("\tactive");
  return line + "\n";
}

struct Arguments {
  std::string url = "http://127.0.0.1:8080";
  bool json = false;
  std::string conflict_status = "open";
  std::string dead_letter_status = "dead";
  std::int64_t id = 0;
  std::string take;
  std::string source;
  int priority = 0;
  std::string entity;
  std::string external_id;
  std::string after;
  int limit = 100;
  bool all_pages = false;
  std::string token;
  std::string role;
  std::string name;
  std::string curve_public_key;
  bool no_token = false;
  bool all_credentials = false;
};

Plan MakePlan(std::string method, std::string path, std::string body, Formatter format,
              bool conflict_is_outcome = false) {
  Plan made;
  made.method = std::move(method);
  made.path = std::move(path);
  made.body = std::move(body);
  made.format = std::move(format);
  made.conflict_is_outcome = conflict_is_outcome;
  return made;
}

std::string IdPath(const std::string& collection, std::int64_t id, const std::string& action) {
  return "/api/" + collection + "/" + std::to_string(id) + (action.empty() ? "" : "/" + action);
}

std::string RecordPath(const Arguments& args) {
  return "/api/records/" + EncodePathSegment(args.entity) + "/" +
         EncodePathSegment(args.external_id);
}

// Declares the commands on `app`; the callback of the chosen one fills `plan` after parsing.
void DeclareCommands(CLI::App& app, Arguments& args, Plan& plan) {
  CLI::App* conflicts = app.add_subcommand("conflicts", "list, show and resolve MANUAL conflicts");
  conflicts->require_subcommand(1);
  CLI::App* conflicts_list = conflicts->add_subcommand("list", "list conflicts");
  conflicts_list->add_option("--status", args.conflict_status, "which conflicts to list")
      ->check(CLI::IsMember({"open", "resolved", "all"}))
      ->capture_default_str();
  conflicts_list->callback([&] {
    plan = MakePlan("GET", "/api/conflicts?status=" + args.conflict_status, "", FormatConflictList);
  });
  CLI::App* conflicts_show = conflicts->add_subcommand("show", "show one conflict field by field");
  conflicts_show->add_option("id", args.id, "conflict id")->required()->check(CLI::PositiveNumber);
  conflicts_show->callback(
      [&] { plan = MakePlan("GET", IdPath("conflicts", args.id, ""), "", FormatConflict); });
  CLI::App* conflicts_resolve =
      conflicts->add_subcommand("resolve", "close a conflict by taking one side for every field");
  conflicts_resolve->add_option("id", args.id, "conflict id")
      ->required()
      ->check(CLI::PositiveNumber);
  conflicts_resolve->add_option("--take", args.take, "the side that wins")
      ->required()
      ->check(CLI::IsMember({"incoming", "canonical"}));
  conflicts_resolve->callback([&] {
    plan = MakePlan("POST", IdPath("conflicts", args.id, "resolve"),
                    nlohmann::json{{"take", args.take}}.dump(), FormatResolveResult);
  });

  CLI::App* dead = app.add_subcommand("dead-letters", "list, replay and discard dead letters");
  dead->require_subcommand(1);
  CLI::App* dead_list = dead->add_subcommand("list", "list dead letters");
  dead_list->add_option("--status", args.dead_letter_status, "which dead letters to list")
      ->check(CLI::IsMember({"dead", "replayed", "discarded", "all"}))
      ->capture_default_str();
  dead_list->callback([&] {
    plan = MakePlan("GET", "/api/dead-letters?status=" + args.dead_letter_status, "",
                    FormatDeadLetterList);
  });
  CLI::App* dead_replay = dead->add_subcommand("replay", "re-submit a dead letter's event");
  dead_replay->add_option("id", args.id, "dead letter id")->required()->check(CLI::PositiveNumber);
  dead_replay->callback([&] {
    plan =
        MakePlan("POST", IdPath("dead-letters", args.id, "replay"), "{}", FormatSyncResult, true);
  });
  CLI::App* dead_discard = dead->add_subcommand("discard", "give a dead letter up for good");
  dead_discard->add_option("id", args.id, "dead letter id")->required()->check(CLI::PositiveNumber);
  dead_discard->callback([&] {
    plan = MakePlan("POST", IdPath("dead-letters", args.id, "discard"), "{}", FormatDiscardResult);
  });

  CLI::App* sources = app.add_subcommand("sources", "list sources and set their priority");
  sources->require_subcommand(1);
  CLI::App* sources_list = sources->add_subcommand("list", "list sources by priority");
  sources_list->callback([&] { plan = MakePlan("GET", "/api/sources", "", FormatSourceList); });
  CLI::App* set_priority =
      sources->add_subcommand("set-priority", "set a source's priority (lower wins)");
  set_priority->add_option("name", args.source, "source name")->required();
  set_priority->add_option("priority", args.priority, "priority; a lower number wins")->required();
  set_priority->callback([&] {
    plan = MakePlan("PUT", "/api/sources/" + EncodePathSegment(args.source),
                    nlohmann::json{{"priority", args.priority}}.dump(), FormatSource);
  });

  CLI::App* reload = sources->add_subcommand(
      "reload", "send the source every canonical record again (a reverse load), then the stream");
  reload->add_option("name", args.source, "source name")->required();
  reload->callback([&] {
    plan = MakePlan("POST", "/api/sources/" + EncodePathSegment(args.source) + "/reload", "{}",
                    [](const nlohmann::json& body) {
                      return "reload of " + body.value("source", std::string()) +
                             " requested: its next session starts with a reverse load\n";
                    });
  });

  CLI::App* records = app.add_subcommand("records", "show canonical records and their history");
  records->require_subcommand(1);
  CLI::App* records_list =
      records->add_subcommand("list", "list an entity's records in key order, deleted ones too");
  records_list->add_option("entity", args.entity, "entity, e.g. client")->required();
  records_list->add_option("--after", args.after, "start after this externalId (byte order)");
  records_list->add_option("--limit", args.limit, "records per page")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  records_list->add_flag("--all", args.all_pages, "follow the pages to the last one");
  records_list->callback([&] {
    plan =
        MakePlan("GET", RecordPagePath(args.entity, args.after, args.limit), "", FormatRecordList);
    plan.all_pages = args.all_pages;
  });
  CLI::App* records_get = records->add_subcommand("get", "show a canonical record");
  CLI::App* records_history =
      records->add_subcommand("history", "show the resolutions of a record");
  for (CLI::App* command : {records_get, records_history}) {
    command->add_option("entity", args.entity, "entity, e.g. client")->required();
    command->add_option("external_id", args.external_id, "the record's externalId")->required();
  }
  records_get->callback([&] { plan = MakePlan("GET", RecordPath(args), "", FormatRecord); });
  records_history->callback(
      [&] { plan = MakePlan("GET", RecordPath(args) + "/history", "", FormatHistory); });

  CLI::App* stats = app.add_subcommand("stats", "show counters: records, conflicts, outcomes");
  stats->callback([&] { plan = MakePlan("GET", "/api/stats", "", FormatStats); });

  CLI::App* credentials =
      app.add_subcommand("credentials", "make, list and revoke credentials (operators)");
  credentials->require_subcommand(1);
  CLI::App* create = credentials->add_subcommand(
      "create", "make a credential and print its token (shown only now)");
  create->add_option("--role", args.role, "operator, reader, service or source:NAME")->required();
  create->add_option("--name", args.name, "a label, e.g. \"CRM connector\"");
  create->add_option("--curve-public-key", args.curve_public_key,
                     "its ZeroMQ CURVE public key (Z85; synchub-keygen writes it)");
  create->add_flag("--no-token", args.no_token, "no bearer token (ZeroMQ only)");
  create->callback([&] {
    nlohmann::json body = {{"role", args.role}, {"name", args.name}, {"token", !args.no_token}};
    if (!args.curve_public_key.empty()) body["curvePublicKey"] = args.curve_public_key;
    plan = MakePlan("POST", "/api/credentials", body.dump(), [](const nlohmann::json& made) {
      std::string text = "made credential " + CredentialLine(made);
      if (made.contains("token")) {
        text +=
            "token (shown only now; keep it secret):\n" + made["token"].get<std::string>() + "\n";
      }
      return text;
    });
  });
  CLI::App* list = credentials->add_subcommand("list", "list credentials (never a secret)");
  list->add_flag("--all", args.all_credentials, "revoked ones too");
  list->callback([&] {
    plan = MakePlan(
        "GET", std::string("/api/credentials") + (args.all_credentials ? "?all=true" : ""), "",
        [](const nlohmann::json& page) {
          std::string text = "ID\tROLE\tNAME\tTOKEN\tCURVE KEY\tSTATE\n";
          for (const auto& credential : page.value("credentials", nlohmann::json::array())) {
            text += CredentialLine(credential);
          }
          return text;
        });
  });
  CLI::App* revoke = credentials->add_subcommand(
      "revoke", "revoke a credential: refused everywhere within a second");
  revoke->add_option("ID", args.id, "the credential's id")->required();
  revoke->callback([&] {
    plan = MakePlan(
        "POST", IdPath("credentials", args.id, "revoke"), "{}",
        [](const nlohmann::json& revoked) { return "revoked " + CredentialLine(revoked); });
  });
}

// Prints the answer and returns the exit code.
int Report(const Plan& plan, const SyncctlClient::Response& response, bool json) {
  const bool success = response.status >= 200 && response.status < 300;
  const nlohmann::json body = synchub::TryParseStoredJson(response.body);
  const bool outcome = plan.conflict_is_outcome && response.status == 409 && body.is_object() &&
                       body.contains("outcome");
  if (!success && !outcome) {
    if (json) std::cout << response.body << (response.body.ends_with('\n') ? "" : "\n");
    std::cerr << "syncctl: " << FormatProblem(response.status, response.body) << "\n";
    return kExitServerError;
  }
  if (json) {
    std::cout << response.body << (response.body.ends_with('\n') ? "" : "\n");
    return kExitOk;
  }
  if (body.is_discarded()) {
    std::cerr << "syncctl: the server answered HTTP " << response.status
              << " with a body that is not JSON:\n"
              << response.body << "\n";
    return kExitServerError;
  }
  std::cout << plan.format(body);
  return kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App app{"syncctl: operate synchub (conflicts, dead letters, sources, records, stats)."};
  app.fallthrough();  // --url and --json may also follow the command
  app.require_subcommand(1);
  Arguments args;
  Plan plan;
  app.add_option("--url", args.url, "synchub-ingest's base URL")
      ->envname("SYNCHUB_URL")
      ->capture_default_str();
  app.add_flag("--json", args.json, "print the server's JSON answer instead of a table");
  app.add_option("--token", args.token, "bearer token (docs/security.md)")
      ->envname("SYNCHUB_TOKEN");
  DeclareCommands(app, args, plan);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (!ParseServerUrl(args.url)) {
    std::cerr << "syncctl: --url must look like http://HOST[:PORT], not '" << args.url << "'\n";
    return kExitUsage;
  }
  if (!plan.format) {  // a group without its subcommand; CLI11 reports that, kept as a guard
    std::cerr << app.help();
    return kExitUsage;
  }
  SyncctlClient client(args.url, args.token);
  const SyncctlClient::Response response =
      plan.all_pages ? FetchAllRecordPages(client, args.entity, args.after, args.limit)
                     : client.Call(plan.method, plan.path, plan.body);
  if (response.status == 0) {
    std::cerr << "syncctl: cannot reach synchub-ingest at " << args.url << ": " << response.error
              << "\n";
    return kExitUnreachable;
  }
  return Report(plan, response, args.json);
}

}  // namespace
}  // namespace synchub

int main(int argc, char** argv) { return synchub::Run(argc, argv); }
