// synchub-keygen: makes CURVE key pairs for synchub's ZeroMQ sockets (common/zmq/curve.hpp).
//   synchub-keygen --out BASE [--force]   writes BASE.key (0600) and BASE.pub, prints the
//                                         public key
//   synchub-keygen --public-of BASE.key   prints the public key of a secret key file
// Exit status: 0 done; 2 usage or I/O error (the reason on stderr).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/zmq/curve.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Makes CURVE key pairs for synchub's ZeroMQ sockets."};
  std::string out;
  std::string public_of;
  bool force = false;
  auto* out_option =
      app.add_option("--out", out, "write BASE.key (secret, mode 0600) and BASE.pub (public)")
          ->option_text("BASE");
  auto* public_of_option =
      app.add_option("--public-of", public_of, "print the public key of a secret key file")
          ->option_text("BASE.key");
  app.add_flag("--force", force, "replace existing key files (with --out)")->needs(out_option);
  out_option->excludes(public_of_option);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  if (out_option->count() == 0 && public_of_option->count() == 0) {
    std::fprintf(stderr, "synchub-keygen: give --out BASE or --public-of BASE.key (see --help)\n");
    return 2;
  }
  if (public_of_option->count() > 0) {
    auto pair = synchub::LoadCurveKeyPair(public_of);
    if (!pair.ok()) {
      std::fprintf(stderr, "synchub-keygen: %s\n", pair.status().message().c_str());
      return 2;
    }
    std::printf("%s\n", pair->public_z85.c_str());
    return 0;
  }

  if (out.empty()) {
    std::fprintf(stderr, "synchub-keygen: --out needs a file name base, not \"\"\n");
    return 2;
  }
  synchub::CurveKeyPair pair;
  try {
    pair = synchub::GenerateCurveKeyPair();
  } catch (const zmq::error_t& error) {
    std::fprintf(stderr, "synchub-keygen: cannot make a CURVE key pair: %s\n", error.what());
    return 2;
  }
  synchub::Status status = synchub::WriteCurveKeyPair(out, pair, /*replace_existing=*/force);
  if (!status.ok()) {
    std::fprintf(stderr, "synchub-keygen: %s%s\n", status.message().c_str(),
                 status.code() == synchub::StatusCode::kAlreadyExists ? " (use --force)" : "");
    return 2;
  }
  std::printf("%s\n", pair.public_z85.c_str());
  return 0;
}
