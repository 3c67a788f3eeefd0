"""What every stage shares: settings, lake, table contract, vocabularies, images, figures, torch compat."""
