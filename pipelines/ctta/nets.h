// Native network definitions (internal to atelier_ctta): WideResNet and torchvision ResNet-50.
#pragma once

#include <memory>

#include "ctta/classifier.h"

namespace atelier::ctta {

// WideResNet-(depth)-(widen) in RobustBench layout: conv1, block{1,2,3}.layer.N.{bn1,conv1,bn2,conv2,convShortcut},
// bn1, fc. Pre-activation blocks; the shortcut conv sees relu(bn1(x)).
std::shared_ptr<ClassifierNet> makeWideResNet(int64_t depth, int64_t widen, int64_t num_classes);
// ResNet-50 in torchvision layout: conv1, bn1, layer1..4.N.{conv1..3,bn1..3,downsample.{0,1}}, fc.
std::shared_ptr<ClassifierNet> makeResNet50(int64_t num_classes);

}  // namespace atelier::ctta
