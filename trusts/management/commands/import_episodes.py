from indicators.constants import ImportFormat
from indicators.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import regime episodes: org_code,regime,entered,exited[,route,reason], checked as RegimeEpisode.clean "
        "checks them (exit not before entry, entry within the regime's validity, no overlap)."
    )
    format = ImportFormat.EPISODES
