// webgpu-gan/node: the Node-only pieces of the library (files, the MNIST and Fashion-MNIST
// packages, folders of pictures), apart from the browser-safe main entry so that no bundler meets `node:fs`.
// The WebGPU types come from the consumer, as for the main entry (src/index.ts).
export {
  loadMnistImages,
  loadMnistLabels,
  mnistFilePath,
  mnistTrainImagesPath,
  type MnistFile,
} from './data/mnistNode.js';
export {
  FASHION_MNIST_CLASSES,
  fashionMnistDir,
  loadFashionMnist,
  parseFashionMnistClass,
  type FashionMnistOptions,
  type FashionMnistSplit,
  type LabelledImageSet,
} from './data/fashionMnistNode.js';
export { loadImageFolder, type ImageFolder, type ImageFolderOptions } from './data/imageFolderNode.js';
export { readCheckpointFile, writeFileAtomic } from './gan/checkpointFile.js';
export { encodePng } from './io/png.js';
export {
  SHIPPED_MODELS,
  SHIPPED_RESTORERS,
  shippedModelPath,
  shippedRestorerPath,
  type ShippedModel,
} from './gan/shippedModels.js';
export {
  CLASSIFIER_FILES,
  classifierWeightsPath,
  readClassifierFile,
  readDatasetClassifier,
  type ClassifiedDataset,
} from './eval/classifierFile.js';
