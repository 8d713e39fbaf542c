// webgpu-gan/node: the Node-only pieces of the library (files, the MNIST package, folders of
// pictures), apart from the browser-safe main entry so that no bundler meets `node:fs`.
/// <reference types="@webgpu/types" preserve="true" />
export {
  loadMnistImages,
  loadMnistLabels,
  mnistFilePath,
  mnistTrainImagesPath,
  type MnistFile,
} from './data/mnistNode.js';
export { loadImageFolder, type ImageFolder, type ImageFolderOptions } from './data/imageFolderNode.js';
export { readCheckpointFile, writeFileAtomic } from './gan/checkpointFile.js';
export { classifierWeightsPath, readClassifierFile } from './eval/classifierFile.js';
