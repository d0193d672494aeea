"""nn.Modules only, one file per modality."""
