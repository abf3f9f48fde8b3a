"""A finished run used: its files, its models' predictions, export and Grad-CAM. Never imports training."""
