// Loads a checkpoint through the installed rewardkit and prints one log-prob: proof that
// headers, library, sentencepiece module and package config all install together.
#include <rewardkit/rewardkit.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer MODEL_DIR\n";
    return 2;
  }
  rewardkit::LoadOptions options;
  options.device = "cpu";
  auto model = rewardkit::Model::load(argv[1], options);
  at::Tensor ids = at::tensor({1, 5, 7, 9}, at::kLong).unsqueeze(0);
  auto out = model->token_logprobs(ids, at::ones_like(ids));
  std::cout << model->info().model_type << " " << out.logprobs.sum().item<float>() << "\n";
  return 0;
}
