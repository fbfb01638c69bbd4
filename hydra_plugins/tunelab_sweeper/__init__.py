"""Hydra's ``hydra/sweeper=tunelab``: each job of a multirun is a trial of a tunelab study.

The sweeper and its config (registered with Hydra's ConfigStore as group ``hydra/sweeper``, name
``tunelab``) live in :mod:`hydra_plugins.tunelab_sweeper.tunelab_sweeper`; what they do, in
:mod:`tunelab.integrations.hydra`. docs/hydra.md shows the config keys and an example.
"""
