from alphamoe.cli.app import main

main()
