// synchub-resolve: run events (JSON lines) through the resolution ladder in memory.
//
//   synchub-resolve [FILE...] [--json] [--priority SOURCE=N ...]
//
// Reads stdin when no file is given. Exit codes: 0 all lines resolved, 1 some lines were
// rejected (they are listed), 2 usage error or unreadable file.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "resolver/cli/resolve_report.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Runs JSON-lines events through the synchub resolution ladder, in memory."};
  std::vector<std::string> files;
  bool json = false;
  std::vector<std::string> priorities;
  app.add_option("files", files, "event files, one JSON event per line (default: stdin)")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", json, "print JSON lines instead of tables");
  app.add_option("--priority", priorities,
                 "override a source priority, e.g. --priority LocalDB=0 (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  synchub::Catalog catalog = synchub::Catalog::Demo();
  for (const auto& assignment : priorities) {
    auto equals = assignment.find('=');
    int priority = 0;
    std::istringstream number(equals == std::string::npos ? "" : assignment.substr(equals + 1));
    if (equals == std::string::npos || !(number >> priority) || !number.eof()) {
      std::cerr << "synchub-resolve: --priority takes SOURCE=N, not '" << assignment << "'\n";
      return 2;
    }
    catalog = catalog.WithPriority(assignment.substr(0, equals), priority);
  }

  std::stringstream input;
  if (files.empty()) {
    input << std::cin.rdbuf();
  } else {
    for (const auto& file : files) {
      std::ifstream stream(file);
      if (!stream) {
        std::cerr << "synchub-resolve: cannot read " << file << "\n";
        return 2;
      }
      input << stream.rdbuf() << "\n";
    }
  }
  synchub::ResolveRun run = synchub::RunEventLines(input, catalog);
  if (json) {
    synchub::PrintJsonLines(run, std::cout);
  } else {
    synchub::PrintTables(run, std::cout);
  }
  return run.rejected > 0 ? 1 : 0;
}
