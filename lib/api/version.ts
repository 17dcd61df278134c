// The versions /api/v4/version reports: the GitLab REST API level the endpoints are modelled on (clients compare
// it before using a feature), and this app's own release.
import packageJson from "../../package.json";

export const API_COMPATIBILITY_VERSION = "17.0.0";
export const APP_VERSION = `service-desk-${packageJson.version}`;
