"""Building blocks of the encoders and the model: argument checks, pooling, fusion, residual
blocks, latent attention and the weight initialisation policy. Imports nothing above it."""
