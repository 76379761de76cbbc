"""The ``analog-deploy`` command line (``analog_deploy.cli.main:main``)."""
