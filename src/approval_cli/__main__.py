from approval_cli.cli import main

main()
