// The losses of one real/fake logit, shared by the kernels that score one: the logit head and
// the semi-supervised loss (whose logit is the log-sum-exp of the class logits).
// requires: activation_math.wgsl

// The loss ℓ(x, t) of a logit x with target t in [0, 1]:
const LOSS_BCE = 0u;             // softplus(x) − t·x: BCE with logits, as shaders/bce.wgsl
const LOSS_LEAST_SQUARES = 1u;   // ½(x − t)²
const LOSS_HINGE = 2u;           // max(0, 1 − s·x) with s = 2t − 1: +1 for real rows, −1 for fake
const LOSS_NEGATIVE_LOGIT = 3u;  // −x (the hinge GAN's generator loss; t unused)

override LOSS: u32 = LOSS_BCE;

// (ℓ(x, t), dℓ/dx, D's reading of x for the statistics): σ(x), or x itself for least squares,
// whose targets already are 0 and 1. At the hinge's corner the gradient taken is 0.
fn logit_loss(x: f32, wanted: f32) -> vec3<f32> {
  switch (LOSS) {
    case LOSS_LEAST_SQUARES: {
      let error = x - wanted;
      return vec3<f32>(0.5 * error * error, error, x);
    }
    case LOSS_HINGE: {
      let side = 2.0 * wanted - 1.0;
      let margin = 1.0 - side * x;
      return vec3<f32>(max(margin, 0.0), select(0.0, -side, margin > 0.0), stable_sigmoid(x));
    }
    case LOSS_NEGATIVE_LOGIT: {
      return vec3<f32>(-x, -1.0, stable_sigmoid(x));
    }
    default: {
      let p = stable_sigmoid(x);
      return vec3<f32>(softplus(x) - wanted * x, p - wanted, p);
    }
  }
}
